using System.Net;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Alerts;
using IntegrationHub.Client.ClosedLoop;
using IntegrationHub.Client.Problems;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using Refit;

namespace IntegrationHub.Adapters.Tests.Client;

/// <summary>
/// Structured feedback through the SDK (LOOP-007): the cause catalogue, a photo uploaded and named by the resolve, the
/// feedback and the photo read back, the false-alarm rate per device, and a PDF passed off as a photo refused.
/// </summary>
public sealed class FeedbackRoundTripTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private static readonly byte[] Photo = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0x00, .. new byte[500], 0xFF, 0xD9];

    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task AnOwner_UploadsAPhoto_ResolvesWithCauseAndFalseAlarm_AndReadsTheFeedbackBack()
    {
        var org = HubFixture.Unique("sdk-feedback");
        AdapterCredentials owner;
        await using (var sdk = Sdk.Admin(Hub))
        {
            var admin = sdk.GetRequiredService<IAdministrationApi>();
            await admin.CreateOrganizationAsync(new CreateOrganizationRequest($"Organization {org}", "enterprise", Id: org));
            owner = await admin.CreateAdapterAsync(org, new CreateAdapterRequest($"Adapter {org}", org + "-adapter", ["gas.underground-methane"],
                ["telemetry:write", "telemetry:read", "alerts:read", "alerts:manage"]));
            await admin.SetAdapterStatusAsync(owner.ClientId, new SetAdapterStatusRequest(AdapterStatuses.Production));
            await admin.RegisterDeviceAsync(owner.ClientId, new RegisterDeviceRequest("fb-sdk-ch4", "gas.underground-methane", "370202", new DeviceLocation(120.38, 36.07)));
        }
        await using var client = Sdk.For(Hub, owner.ClientId, owner.ClientSecret);
        var telemetry = client.GetRequiredService<ITelemetryApi>();
        var alerts = client.GetRequiredService<IAlertsApi>();
        var loop = client.GetRequiredService<IClosedLoopApi>();
        var time = Hub.Time.GetUtcNow().AddMinutes(-1);
        await telemetry.IngestAsync(new TelemetryBatch([new TelemetryMessage
        {
            MessageId = HubFixture.Unique("fb-sdk"), DeviceId = "fb-sdk-ch4", Profile = "gas.underground-methane", Time = time,
            Observations = [Observation.Quantity("ch4", 60, "%{LEL}")],
        }]));
        await Hub.Services.GetRequiredService<AlertEngine>().CaughtUpAsync(TestContext.Current.CancellationToken);
        var alert = Assert.Single((await alerts.ListAlertsAsync(new AlertFilter { Organization = org })).Items);

        var causes = await loop.ListFeedbackCausesAsync("gas");
        Assert.Contains(causes, c => c is { Id: "pipeline-leak", Common: false });
        var pdf = await Assert.ThrowsAsync<IntegrationHubException>(() =>
            loop.UploadAlertAttachmentAsync(alert.Id, new StreamPart(new MemoryStream("%PDF-1.7\n%%EOF\n"u8.ToArray()), "scene.jpg", "image/jpeg")));
        Assert.Equal((HttpStatusCode.UnsupportedMediaType, "attachment.type-mismatch"), (pdf.StatusCode, pdf.Code));
        var photo = await loop.UploadAlertAttachmentAsync(alert.Id, new StreamPart(new MemoryStream(Photo), "well.jpg", "image/jpeg"));
        Assert.Equal(("image/jpeg", Photo.Length, "well.jpg"), (photo.MediaType, photo.Size, photo.Name));

        var resolved = await alerts.ResolveAlertAsync(alert.Id, new ResolveAlertRequest("Detector fault; no gas on site.", Cause: "device-fault", FalseAlarm: true, Attachments: [photo.Id]));
        Assert.Equal(AlertStates.Resolved, resolved.State);

        var feedback = Assert.Single(await loop.ListAlertFeedbackAsync(alert.Id));
        Assert.Equal(("device-fault", true, org, photo.Id), (feedback.Cause, feedback.FalseAlarm, feedback.OrganizationId, Assert.Single(feedback.Attachments).Id));
        using var content = await loop.GetAlertAttachmentAsync(alert.Id, photo.Id);
        Assert.Equal("image/jpeg", content.Headers.ContentType?.MediaType);
        Assert.Equal(Photo, await content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        Assert.Equal(feedback.Id, Assert.Single(await loop.ListAlertAttachmentsAsync(alert.Id)).FeedbackId);
        var rates = await loop.GetFalseAlarmRatesAsync("device");
        Assert.Contains(rates.Items, r => r is { Key: "fb-sdk-ch4", Resolved: 1, FalseAlarms: 1, Rate: 1.0 } && r.OrganizationId == org);
    }
}
