using System.Net;
using System.Xml.Linq;
using IntegrationHub.Client;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Alerts;
using IntegrationHub.Client.Problems;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Tests.Client;

/// <summary>
/// The alert endpoints through the SDK against a running hub: methane readings raise an alert, which the SDK lists,
/// reads (with CAP and the Atom feed) and takes through the closed loop; maintenance windows and site parameters.
/// </summary>
public sealed class AlertsRoundTripTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private static readonly string[] Managing = ["telemetry:write", "telemetry:read", "alerts:read", "alerts:manage"];
    private static readonly XNamespace Atom = "http://www.w3.org/2005/Atom";
    private static readonly XNamespace Cap = "urn:oasis:names:tc:emergency:cap:1.2";

    private HubFactory Hub => fixture.Hub;

    /// <summary>The hub's time as it stores times: to the millisecond.</summary>
    private DateTimeOffset Now => DateTimeOffset.FromUnixTimeMilliseconds(Hub.Time.GetUtcNow().ToUnixTimeMilliseconds());

    /// <summary>
    /// An organization whose adapter may manage alerts, with methane devices; returns the adapter's credentials. The
    /// adapter is in production: a sandbox adapter's alerts are drills, never dispatched, counted or in the feed.
    /// </summary>
    private async Task<AdapterCredentials> ManagerAsync(string org, params RegisterDeviceRequest[] devices)
    {
        await using var sdk = Sdk.Admin(Hub);
        var admin = sdk.GetRequiredService<IAdministrationApi>();
        await admin.CreateOrganizationAsync(new CreateOrganizationRequest($"Organization {org}", "enterprise", Id: org));
        var credentials = await admin.CreateAdapterAsync(org, new CreateAdapterRequest($"Adapter {org}", org + "-adapter", ["gas.underground-methane"], Managing));
        await admin.SetAdapterStatusAsync(credentials.ClientId, new SetAdapterStatusRequest(AdapterStatuses.Production));
        foreach (var device in devices)
        {
            await admin.RegisterDeviceAsync(credentials.ClientId, device);
        }
        return credentials;
    }

    private static RegisterDeviceRequest Methane(string deviceId, string district = "370202", string? group = null) =>
        new(deviceId, "gas.underground-methane", district, new DeviceLocation(120.38, 36.07), Group: group);

    /// <summary>Two readings of <paramref name="value"/> %LEL five minutes apart, ending a minute ago; then waits for the alert engine to judge them.</summary>
    private async Task ReadingsAsync(ITelemetryApi telemetry, string deviceId, double value)
    {
        var end = Hub.Time.GetUtcNow().AddMinutes(-1);
        var result = await telemetry.IngestAsync(new TelemetryBatch([.. new[] { end.AddMinutes(-5), end }.Select(time => new TelemetryMessage
        {
            MessageId = $"{deviceId}-{Guid.NewGuid():N}",
            DeviceId = deviceId,
            Profile = "gas.underground-methane",
            Time = time,
            Observations = [Observation.Quantity("ch4", value, "%{LEL}")],
        })]));
        Assert.Equal(2, result.Accepted);
        await Hub.Services.GetRequiredService<AlertEngine>().CaughtUpAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Alerts_ListReadCapFeed_AndTheClosedLoop()
    {
        var org = HubFixture.Unique("sdk-alerts");
        var brigade = HubFixture.Unique("sdk-brigade");
        var owner = await ManagerAsync(org, Methane("ch4-1"), Methane("ch4-2"));
        var handler = await ManagerAsync(brigade);
        var wire = new WireTap();
        await using var sdk = Sdk.For(Hub, owner.ClientId, owner.ClientSecret, b => b.Tap(IntegrationHubHttpClients.Alerts, wire));
        await using var handlerSdk = Sdk.For(Hub, handler.ClientId, handler.ClientSecret);
        var alerts = sdk.GetRequiredService<IAlertsApi>();
        await ReadingsAsync(sdk.GetRequiredService<ITelemetryApi>(), "ch4-1", 30);
        await ReadingsAsync(sdk.GetRequiredService<ITelemetryApi>(), "ch4-2", 12);
        var now = Now;

        var filtered = await alerts.ListAlertsAsync(
            new AlertFilter { Level = AlertLevels.Orange, State = AlertStates.Raised, Domain = "gas", District = "370200", Device = "ch4-1", Organization = org, Open = true },
            now.AddHours(-1), now, limit: 10);
        var firstPage = await alerts.ListAlertsAsync(new AlertFilter { Organization = org }, limit: 1);
        var secondPage = await alerts.ListAlertsAsync(new AlertFilter { Organization = org }, limit: 1, cursor: firstPage.NextCursor);
        var closedNone = await alerts.ListAlertsAsync(new AlertFilter { Organization = org, Open = false });
        var statistics = await alerts.GetAlertStatisticsAsync("day", now.AddDays(-1), now.AddMinutes(1), district: "370202", domain: "gas", offsetMinutes: 480);

        var alert = Assert.Single(filtered.Items);
        Assert.Contains("open=true", wire.Uris[0].Query, StringComparison.Ordinal);
        Assert.Equal(("ch4-level", AlertLevels.Orange, "ch4-1", "%{LEL}", 30.0), (alert.RuleId, alert.Level, alert.DeviceId, alert.Unit, alert.Value!.Value.Number));
        Assert.Equal((org, org, "370202", now), (alert.OrganizationId, alert.ResponsibleOrganizationId, alert.District, alert.RaisedAt));
        // The condition began with the second reading, a minute before the hub raised the alert; no drill.
        Assert.Equal(now.AddMinutes(-1), alert.ObservedAt!.Value, TimeSpan.FromSeconds(1));
        Assert.False(alert.Sandbox);
        Assert.Equal(new AlertLocation(120.38, 36.07), alert.Location);
        Assert.Equal(("day", 480, TimeSpan.FromHours(8)), (statistics.Bucket, statistics.OffsetMinutes, statistics.Items[0].Start.Offset));
        Assert.Contains(statistics.Items, r => r is { District: "370202", Level: AlertLevels.Orange, Raised: 1 });
        Assert.True(alert.IsOpen);
        // Deadlines of its level still run (ALR-003): a raised alert must be acknowledged, then resolved, in time.
        Assert.Equal(("threshold", false), (alert.RuleKind, alert.Cleared));
        Assert.True(alert.AcknowledgeBy > now && alert.ResolveBy >= alert.AcknowledgeBy, $"{alert.AcknowledgeBy} then {alert.ResolveBy}");
        Assert.Equal(["ch4-2", "ch4-1"], [firstPage.Items.Single().DeviceId, secondPage.Items.Single().DeviceId]);
        Assert.Equal(AlertLevels.Yellow, firstPage.Items.Single().Level);
        Assert.Null(secondPage.NextCursor);
        Assert.Empty(closedNone.Items);

        var detail = await alerts.GetAlertAsync(alert.Id);
        var xml = XDocument.Parse(await alerts.GetAlertCapXmlAsync(alert.Id));
        var cap = await alerts.GetAlertCapAsync(alert.Id, alert.Identifier);
        var feed = XDocument.Parse(await alerts.GetAlertFeedAsync());

        Assert.Equal(alert, detail.Alert);
        var raised = Assert.Single(detail.History);
        Assert.Equal(("raised", AlertStates.Raised, AlertLevels.Orange, alert.Identifier), (raised.Kind, raised.State, raised.Level, raised.CapIdentifier));
        Assert.Equal((false, null), (raised.Cleared, raised.PreviousLevel));
        Assert.Equal(System.Text.Json.JsonValueKind.Array, raised.Causes!.Value.ValueKind);
        Assert.Equal((30.0, "%{LEL}"), (Assert.Single(detail.Observations).Value!.Value.Number, detail.Observations[0].Unit));
        Assert.Equal((alert.Identifier, "Alert"), (xml.Root!.Element(Cap + "identifier")!.Value, xml.Root.Element(Cap + "msgType")!.Value));
        Assert.Equal((alert.Identifier, "Alert", "Actual"), (cap.Identifier, cap.MsgType, cap.Status));
        Assert.Equal(TimeSpan.FromHours(8), cap.Sent.Offset);
        var info = Assert.Single(cap.Info);
        Assert.Equal(("orange", "ch4-1", "Severe"), (info.EventCodeValue("warningLevel"), info.ParameterValue("deviceId"), info.Severity));
        Assert.Equal("370202", Assert.Single(Assert.Single(info.Area).Geocode!).Value);
        Assert.Contains(feed.Root!.Elements(Atom + "entry"), e => e.Element(Atom + "id")!.Value.EndsWith(":" + alert.Identifier, StringComparison.Ordinal));

        var acknowledged = await alerts.AcknowledgeAlertAsync(alert.Id, new NoteRequest("crew on the way"));
        var dispatched = await alerts.DispatchAlertAsync(alert.Id, new DispatchRequest(brigade, "ventilate the well"));
        var resolved = await handlerSdk.GetRequiredService<IAlertsApi>().ResolveAlertAsync(alert.Id, new NoteRequest("valve closed, well ventilated"));
        // Still at 30 %LEL: closing needs a confirmation with a note.
        var active = await Assert.ThrowsAsync<IntegrationHubException>(() => alerts.CloseAlertAsync(alert.Id, new NoteRequest("archived")));
        var closed = await alerts.CloseAlertAsync(alert.Id, new CloseAlertRequest("handed to the gas company", Confirm: true));
        var again = await Assert.ThrowsAsync<IntegrationHubException>(() => alerts.CloseAlertAsync(alert.Id, new NoteRequest()));

        Assert.Equal([AlertStates.Acknowledged, AlertStates.Dispatched, AlertStates.Resolved, AlertStates.Closed], [acknowledged.State, dispatched.State, resolved.State, closed.State]);
        Assert.Equal((null, alert.ResolveBy), (acknowledged.AcknowledgeBy, acknowledged.ResolveBy));
        Assert.Equal((null, null), (closed.AcknowledgeBy, closed.ResolveBy));
        Assert.Equal(brigade, dispatched.ResponsibleOrganizationId);
        Assert.False(closed.IsOpen);
        Assert.NotNull(closed.ClosedAt);
        Assert.Equal((HttpStatusCode.Conflict, "alert.condition-active"), (active.StatusCode, active.Code));
        Assert.Equal((HttpStatusCode.Conflict, "alert.invalid-transition"), (again.StatusCode, again.Code));
        var history = (await alerts.GetAlertAsync(alert.Id)).History;
        Assert.Equal(["raised", "acknowledged", "dispatched", "resolved", "closed"], history.Select(s => s.Kind));
        Assert.Equal((brigade, "ventilate the well"), (history[2].Organization, history[2].Note));
        Assert.Equal((handler.ClientId, "valve closed, well ventilated"), (history[3].Actor, history[3].Note));
        Assert.Equal([alert.Id], (await alerts.ListAlertsAsync(new AlertFilter { Organization = org, Open = false })).Items.Select(a => a.Id));
    }

    [Fact]
    public async Task FailingAlertStep_IsNotRetried_ButAFailingReadIs()
    {
        var org = HubFixture.Unique("sdk-alert-once");
        var owner = await ManagerAsync(org, Methane("ch4-1"));
        // The first request of each method fails as an overloaded hub would.
        var wire = WireTap.FailingFirstOfEachMethod();
        await using var sdk = Sdk.For(Hub, owner.ClientId, owner.ClientSecret, b => b.Tap(IntegrationHubHttpClients.Alerts, wire));
        await ReadingsAsync(sdk.GetRequiredService<ITelemetryApi>(), "ch4-1", 30);
        var alerts = sdk.GetRequiredService<IAlertsApi>();

        var listed = await alerts.ListAlertsAsync(new AlertFilter { Device = "ch4-1" });
        Assert.Equal(2, wire.Requests);
        var error = await Assert.ThrowsAsync<IntegrationHubException>(() => alerts.AcknowledgeAlertAsync(listed.Items.Single().Id, new NoteRequest("once")));

        Assert.Equal((HttpStatusCode.ServiceUnavailable, 3), (error.StatusCode, wire.Requests));
        Assert.Equal(AlertStates.Raised, (await alerts.GetAlertAsync(listed.Items.Single().Id)).Alert.State);
    }

    [Fact]
    public async Task AlertSettings_MaintenanceDeviceParametersAndOverrides()
    {
        // A district of its own: district overrides reach every device there, and this hub is shared by the class.
        var org = HubFixture.Unique("sdk-settings");
        var owner = await ManagerAsync(org, Methane("ch4-1", "370203", "valve-wells"), Methane("ch4-2", "370203"));
        await using var sdk = Sdk.For(Hub, owner.ClientId, owner.ClientSecret);
        await using var adminSdk = Sdk.Admin(Hub);
        var settings = sdk.GetRequiredService<IAlertSettingsApi>();
        var operatorSettings = adminSdk.GetRequiredService<IAlertSettingsApi>();
        var now = Now;

        // The window covers the readings' times: that is what the engine checks.
        var window = await settings.OpenMaintenanceAsync(org, "ch4-2", new MaintenanceRequest(now.AddHours(2), now.AddMinutes(-10), "replacing the sensor"));
        var windows = await settings.ListMaintenanceAsync(org, "ch4-2");
        await ReadingsAsync(sdk.GetRequiredService<ITelemetryApi>(), "ch4-2", 30);
        var duringMaintenance = await sdk.GetRequiredService<IAlertsApi>().ListAlertsAsync(new AlertFilter { Device = "ch4-2" });
        await settings.EndMaintenanceAsync(org, "ch4-2", window.Id);
        var afterwards = await settings.ListMaintenanceAsync(org, "ch4-2");

        Assert.Equal((now.AddMinutes(-10), now.AddHours(2), "replacing the sensor", owner.ClientId), (window.From, window.Until, window.Note, window.CreatedBy));
        Assert.Equal([window], windows);
        Assert.Empty(duringMaintenance.Items);
        Assert.Empty(afterwards);

        var device = await settings.SetDeviceParametersAsync(org, "ch4-1", new DeviceParametersRequest(new Dictionary<string, double> { ["lelVolPercent"] = 4.4 }));
        var group = await settings.SetParameterOverrideAsync(ParameterOverrideRequest.ForGroup("valve-wells", "gas.underground-methane", new Dictionary<string, double> { ["coverTiltDeg"] = 20 }));
        var district = await operatorSettings.SetParameterOverrideAsync(ParameterOverrideRequest.ForDistrict("370203", "gas.underground-methane", new Dictionary<string, double> { ["lelVolPercent"] = 4.4 }));
        var refused = await Assert.ThrowsAsync<IntegrationHubException>(() => settings.SetParameterOverrideAsync(ParameterOverrideRequest.ForDistrict("370203", "gas.underground-methane", new Dictionary<string, double>())));
        var outOfBounds = await Assert.ThrowsAsync<IntegrationHubException>(() => settings.SetDeviceParametersAsync(org, "ch4-1", new DeviceParametersRequest(new Dictionary<string, double> { ["lelVolPercent"] = 3 })));
        var visible = await settings.ListParameterOverridesAsync();
        await operatorSettings.DeleteParameterOverrideAsync(district.Id);
        await settings.DeleteParameterOverrideAsync(group.Id);

        Assert.Equal(("valve-wells", 4.4), (device.Group, device.Parameters["lelVolPercent"]));
        Assert.Equal((OverrideScopes.Group, org, "valve-wells", 20.0, owner.ClientId), (group.Scope, group.OrganizationId, group.Key, group.Parameters["coverTiltDeg"], group.UpdatedBy));
        Assert.Equal((OverrideScopes.District, null, "370203"), (district.Scope, district.OrganizationId, district.Key));
        Assert.Equal((HttpStatusCode.Forbidden, "auth.insufficient-scope"), (refused.StatusCode, refused.Code));
        Assert.Equal("/parameters/lelVolPercent", Assert.Single(outOfBounds.Errors).Pointer);
        Assert.Superset(new HashSet<long> { group.Id, district.Id }, visible.Select(o => o.Id).ToHashSet());
        Assert.DoesNotContain(await operatorSettings.ListParameterOverridesAsync(), o => o.Id == district.Id || o.Id == group.Id);
    }
}
