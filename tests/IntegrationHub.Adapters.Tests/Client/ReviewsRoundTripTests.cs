using System.Net;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Alerts;
using IntegrationHub.Client.ClosedLoop;
using IntegrationHub.Client.Problems;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Tests.Client;

/// <summary>
/// Review and the loop's measures through the SDK (LOOP-010, LOOP-011): a closed red alert's record read, its lessons
/// written and listed, and the measures read as JSON and exported as CSV, with the false-alarm rates beside them.
/// </summary>
public sealed class ReviewsRoundTripTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task TheOperator_ReadsAClosedAlertsReview_WritesItsLessons_AndReadsAndExportsTheMeasures()
    {
        var org = HubFixture.Unique("sdk-review");
        await using var sdk = Sdk.Admin(Hub);
        var admin = sdk.GetRequiredService<IAdministrationApi>();
        await admin.CreateOrganizationAsync(new CreateOrganizationRequest($"Organization {org}", "enterprise", Id: org));
        var owner = await admin.CreateAdapterAsync(org, new CreateAdapterRequest($"Adapter {org}", org + "-adapter", ["gas.underground-methane"],
            ["telemetry:write", "telemetry:read", "alerts:read", "alerts:manage"]));
        await admin.SetAdapterStatusAsync(owner.ClientId, new SetAdapterStatusRequest(AdapterStatuses.Production));
        await admin.RegisterDeviceAsync(owner.ClientId, new RegisterDeviceRequest("rv-sdk-ch4", "gas.underground-methane", "370202", new DeviceLocation(120.38, 36.07)));
        var observed = Hub.Time.GetUtcNow().AddMinutes(-1);
        await using var device = Sdk.For(Hub, owner.ClientId, owner.ClientSecret);
        await device.GetRequiredService<ITelemetryApi>().IngestAsync(new TelemetryBatch([new TelemetryMessage
        {
            MessageId = HubFixture.Unique("rv-sdk"), DeviceId = "rv-sdk-ch4", Profile = "gas.underground-methane", Time = observed,
            Observations = [Observation.Quantity("ch4", 60, "%{LEL}")],
        }]));
        await Hub.Services.GetRequiredService<AlertEngine>().CaughtUpAsync(TestContext.Current.CancellationToken);
        var alerts = sdk.GetRequiredService<IAlertsApi>();
        var loop = sdk.GetRequiredService<IClosedLoopApi>();
        var alert = Assert.Single((await alerts.ListAlertsAsync(new AlertFilter { Organization = org })).Items);

        // Open, nothing is asked; writing lessons is refused until the alert is closed.
        Assert.Equal(ReviewStatuses.NotRequired, (await loop.GetAlertReviewAsync(alert.Id)).Status);
        var early = await Assert.ThrowsAsync<IntegrationHubException>(() => loop.WriteAlertReviewAsync(alert.Id, new ReviewRequest("Too early.")));
        Assert.Equal((HttpStatusCode.Conflict, "alert.invalid-transition"), (early.StatusCode, early.Code));
        await alerts.ResolveAlertAsync(alert.Id, new ResolveAlertRequest("Detector fault; no gas on site.", Cause: "device-fault", FalseAlarm: true));
        await alerts.CloseAlertAsync(alert.Id, new CloseAlertRequest("archived after the detector's replacement", Confirm: true));

        var review = await loop.GetAlertReviewAsync(alert.Id);
        Assert.Equal((ReviewStatuses.Pending, AlertStates.Closed), (review.Status, review.Alert.State));
        Assert.Equal("raised", review.Timeline[0].Kind);
        Assert.Equal("closed", review.Timeline[^1].Kind);
        Assert.Equal(("device-fault", true), (Assert.Single(review.Feedback).Cause, review.Feedback[0].FalseAlarm));
        Assert.Contains((await loop.ListReviewsAsync()).Items, r => r.AlertId == alert.Id);

        var written = await loop.WriteAlertReviewAsync(alert.Id, new ReviewRequest("Replace detectors older than five years.", "Owner audits its detectors by March."));
        Assert.Equal((ReviewStatuses.Done, "Replace detectors older than five years.", HubFactory.AdminId), (written.Status, written.Lessons, written.WrittenBy!.Id));
        Assert.Contains((await loop.ListReviewsAsync(ReviewStatuses.Done)).Items, r => r.AlertId == alert.Id && r.WrittenAt is not null);
        Assert.DoesNotContain((await loop.ListReviewsAsync()).Items, r => r.AlertId == alert.Id);

        var period = (From: observed.AddHours(-1), Until: observed.AddHours(1));
        var measures = await loop.GetLoopMeasuresAsync("district", period.From, period.Until);
        var shinan = Assert.Single(measures.Items, r => r.Key == "370202");
        Assert.True(shinan is { Alerts: >= 1, ReviewsDone: >= 1, FalseAlarms: >= 1 }, $"{shinan}");
        using (var csv = await loop.ExportLoopMeasuresAsync("csv", "district", period.From, period.Until))
        {
            Assert.Equal("text/csv", csv.Headers.ContentType?.MediaType);
            var text = await csv.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.StartsWith("key,", text.TrimStart('\uFEFF'), StringComparison.OrdinalIgnoreCase);
            Assert.Contains("370202,", text, StringComparison.Ordinal);
        }
        var rates = await loop.GetFalseAlarmRatesAsync("rule", period.From, period.Until);
        Assert.Contains(rates.Items, r => r is { Key: "gas.underground-methane/ch4-level", FalseAlarms: >= 1 });
        var unknown = await Assert.ThrowsAsync<IntegrationHubException>(() => loop.GetFalseAlarmRatesAsync("district"));
        Assert.Equal((HttpStatusCode.BadRequest, "request.invalid-parameter"), (unknown.StatusCode, unknown.Code));
    }
}
