using System.Xml.Linq;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Alerts;
using IntegrationHub.Client.Problems;
using IntegrationHub.Client.Specs;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IntegrationHub.Adapters.Tests.Contracts;

/// <summary>
/// The SDK keeps to its consumer contract (specs/contracts): each of its calls goes to <c>pact mock</c>, which answers
/// only what the contract describes, and <c>pact mock verify</c> then confirms that every interaction was made and
/// nothing else was. The provider side (ProviderContractTests in the Gateway tests) replays the same file against the hub.
/// </summary>
public sealed class ConsumerContractTests
{
    private static readonly string Contract = Path.Combine(PactCli.Contracts, "integrationhub-client-integrationhub.json");
    private static readonly TimeSpan BeijingTime = TimeSpan.FromHours(8);

    private static ServiceProvider Sdk(Uri mock) =>
        Client.Sdk.For(mock, new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 11, 0, 0, TimeSpan.Zero)), HubFactory.AdminId, HubFactory.AdminSecret);

    [Fact]
    public async Task Sdk_MakesEveryInteractionOfItsContract_AndNothingElse()
    {
        await using var pact = await PactCli.StartMockAsync();
        var mock = await pact.ServeAsync(Contract);
        await using var sdk = Sdk(mock);
        var telemetry = sdk.GetRequiredService<ITelemetryApi>();
        var admin = sdk.GetRequiredService<IAdministrationApi>();
        var specs = sdk.GetRequiredService<ISpecsApi>();

        var ingested = await telemetry.IngestAsync(new TelemetryBatch(
        [
            new TelemetryMessage { MessageId = "m-1", DeviceId = "ch4-1", Profile = "gas.underground-methane", Time = new DateTimeOffset(2026, 1, 5, 18, 30, 0, BeijingTime), Observations = [Observation.Quantity("ch4", 0.25, "%{vol}")] },
            new TelemetryMessage { MessageId = "m-2", DeviceId = "ch4-1", Profile = "gas.underground-methane", Time = new DateTimeOffset(2026, 1, 5, 18, 35, 0, BeijingTime), Observations = [Observation.Quantity("ch4", 3, "%LEL")] },
        ]));
        var latest = await telemetry.GetLatestAsync(new TelemetryFilter { Device = "ch4-1", Metric = "ch4" });
        var history = await telemetry.GetHistoryAsync(new TelemetryFilter { Device = "ch4-1" }, new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 5, 11, 0, 0, TimeSpan.Zero), limit: 10);
        var quarantine = await telemetry.GetQuarantineAsync();
        var organization = await admin.CreateOrganizationAsync(new CreateOrganizationRequest("Shinan District", "district", "370202", "pact-shinan"));
        var taken = await Assert.ThrowsAsync<IntegrationHubException>(() => admin.CreateOrganizationAsync(new CreateOrganizationRequest("Taken", "enterprise", Id: "pact-taken")));
        var device = await admin.RegisterDeviceAsync("pact-register-gas", new RegisterDeviceRequest("ch4-2", "gas.underground-methane", "370202", new DeviceLocation(120.38, 36.07), "Valve well 2"));
        var devices = await admin.ListDevicesAsync("pact-devices-gas");
        var index = await specs.GetIndexAsync();
        var profile = await specs.GetProfileAsync("gas.underground-methane");
        var alerts = await AlertsAsync(sdk.GetRequiredService<IAlertsApi>());
        var settings = await AlertSettingsAsync(sdk.GetRequiredService<IAlertSettingsApi>());

        var verified = await pact.VerifyAsync(mock);
        Assert.True(verified.ExitCode == 0, verified.ToString());
        alerts.Check();
        settings.Check();
        Assert.Equal((1, "unit.unknown", "/messages/1/observations/0/unit"), (ingested.Accepted, ingested.Results[1].Code, ingested.Results[1].Pointer));
        Assert.Equal((5.0, "%{LEL}"), (latest.Items[0].Value!.Value.Number, latest.Items[0].Unit));
        Assert.Equal(new DateTimeOffset(2026, 1, 5, 10, 30, 0, TimeSpan.Zero), history.Items[0].ObservedAt);
        Assert.Equal("unit.unknown", quarantine.Items[0].Errors[0].Code);
        Assert.Equal("district", organization.Kind);
        Assert.Equal("organization.exists", taken.Code);
        Assert.Equal("WGS84", device.Location.Crs);
        Assert.Equal("ch4-1", devices.Items[0].DeviceId);
        Assert.Equal("v1", index.Version);
        Assert.Equal("%{LEL}", profile.GetProperty("metrics").GetProperty("ch4").GetProperty("unit").GetString());
    }

    /// <summary>The alert interactions; <see cref="Check"/> asserts what the contract's answers said, once the mock confirmed the calls.</summary>
    private sealed record AlertCalls(
        Page<Alert> Open, AlertDetail Detail, string CapXml, CapMessage Cap, string Feed, Alert Acknowledged, Alert Dispatched, Alert Resolved, Alert Closed,
        IntegrationHubException TooSoon)
    {
        public void Check()
        {
            XNamespace cap = "urn:oasis:names:tc:emergency:cap:1.2";
            XNamespace atom = "http://www.w3.org/2005/Atom";
            Assert.Equal((AlertLevels.Orange, AlertStates.Raised, 30.0), (Open.Items[0].Level, Open.Items[0].State, Open.Items[0].Value!.Value.Number));
            Assert.Equal(("raised", "engine"), (Detail.History[0].Kind, Detail.History[0].Actor));
            Assert.Equal(new DateTimeOffset(2026, 1, 5, 10, 30, 0, TimeSpan.Zero), Detail.Observations[0].ObservedAt);
            Assert.Equal("Alert", XDocument.Parse(CapXml).Root!.Element(cap + "msgType")!.Value);
            Assert.Equal(("Alert", "orange"), (Cap.MsgType, Cap.Info[0].EventCodeValue("warningLevel")));
            Assert.Single(XDocument.Parse(Feed).Root!.Elements(atom + "entry"));
            Assert.Equal(AlertStates.Acknowledged, Acknowledged.State);
            Assert.Equal((AlertStates.Dispatched, "pact-brigade"), (Dispatched.State, Dispatched.ResponsibleOrganizationId));
            Assert.Equal(AlertStates.Resolved, Resolved.State);
            Assert.Equal((AlertStates.Closed, false), (Closed.State, Closed.IsOpen));
            Assert.Equal("alert.invalid-transition", TooSoon.Code);
        }
    }

    private static async Task<AlertCalls> AlertsAsync(IAlertsApi alerts) => new(
        await alerts.ListAlertsAsync(new AlertFilter { Level = AlertLevels.Orange, District = "370202", Device = "ch4-1", Open = true }, limit: 10),
        await alerts.GetAlertAsync(2),
        await alerts.GetAlertCapXmlAsync(3),
        await alerts.GetAlertCapAsync(4),
        await alerts.GetAlertFeedAsync(),
        await alerts.AcknowledgeAlertAsync(6, new NoteRequest("crew on the way")),
        await alerts.DispatchAlertAsync(7, new DispatchRequest("pact-brigade", "ventilate the well")),
        await alerts.ResolveAlertAsync(8, new NoteRequest("valve closed, well ventilated")),
        await alerts.CloseAlertAsync(9, new NoteRequest("archived")),
        await Assert.ThrowsAsync<IntegrationHubException>(() => alerts.CloseAlertAsync(10, new NoteRequest("too soon"))));

    /// <summary>The maintenance and site-parameter interactions.</summary>
    private sealed record AlertSettingsCalls(MaintenanceWindow Opened, IReadOnlyList<MaintenanceWindow> Windows, Device Device, ParameterOverride Override, IReadOnlyList<ParameterOverride> Overrides)
    {
        public void Check()
        {
            Assert.Equal(("replacing the sensor", "pact-maint-open-gas"), (Opened.Note, Opened.CreatedBy));
            Assert.Equal("pact-maint-list-gas", Windows[0].CreatedBy);
            Assert.Equal(4.4, Device.Parameters["lelVolPercent"]);
            Assert.Equal((OverrideScopes.Group, 20.0), (Override.Scope, Override.Parameters["coverTiltDeg"]));
            Assert.Equal("pact-override-list", Overrides[0].OrganizationId);
        }
    }

    private static async Task<AlertSettingsCalls> AlertSettingsAsync(IAlertSettingsApi settings)
    {
        var opened = await settings.OpenMaintenanceAsync("pact-maint-open", "ch4-1",
            new MaintenanceRequest(new DateTimeOffset(2026, 1, 5, 20, 0, 0, BeijingTime), new DateTimeOffset(2026, 1, 5, 18, 0, 0, BeijingTime), "replacing the sensor"));
        var windows = await settings.ListMaintenanceAsync("pact-maint-list", "ch4-1");
        await settings.EndMaintenanceAsync("pact-maint-end", "ch4-1", 11);
        var device = await settings.SetDeviceParametersAsync("pact-params", "ch4-1", new DeviceParametersRequest(new Dictionary<string, double> { ["lelVolPercent"] = 4.4 }));
        var added = await settings.SetParameterOverrideAsync(ParameterOverrideRequest.ForGroup("valve-wells", "gas.underground-methane", new Dictionary<string, double> { ["coverTiltDeg"] = 20 }));
        var overrides = await settings.ListParameterOverridesAsync();
        await settings.DeleteParameterOverrideAsync(12);
        return new AlertSettingsCalls(opened, windows, device, added, overrides);
    }

    [Fact]
    public async Task MockVerify_Fails_WhenTheClientCallsOutsideItsContract()
    {
        await using var pact = await PactCli.StartMockAsync();
        var mock = await pact.ServeAsync(Contract);
        await using var sdk = Sdk(mock);

        await Assert.ThrowsAsync<IntegrationHubException>(() => sdk.GetRequiredService<IAdministrationApi>().ListGrantsAsync());

        var verified = await pact.VerifyAsync(mock);
        Assert.NotEqual(0, verified.ExitCode);
        Assert.Contains("/v1/grants", verified.Output, StringComparison.Ordinal);
    }
}
