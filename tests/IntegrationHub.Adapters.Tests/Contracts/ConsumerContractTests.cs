using IntegrationHub.Client.Administration;
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

        var verified = await pact.VerifyAsync(mock);
        Assert.True(verified.ExitCode == 0, verified.ToString());
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
