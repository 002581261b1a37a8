using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Tests.Client;

/// <summary>Source health through the SDK (HLT-001, HLT-002): an adapter reads its own sources' measures and online rate.</summary>
public sealed class SourceHealthRoundTripTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task AnAdapter_ReadsItsSourcesHealth_AndTheOnlineRateOfItsDevices()
    {
        var org = HubFixture.Unique("sdk-health");
        AdapterCredentials owner;
        await using (var sdk = Sdk.Admin(Hub))
        {
            var admin = sdk.GetRequiredService<IAdministrationApi>();
            await admin.CreateOrganizationAsync(new CreateOrganizationRequest($"Organization {org}", "enterprise", Id: org));
            owner = await admin.CreateAdapterAsync(org, new CreateAdapterRequest($"Adapter {org}", org + "-adapter", ["gas.underground-methane"], ["telemetry:write", "telemetry:read"]));
            await admin.SetAdapterStatusAsync(owner.ClientId, new SetAdapterStatusRequest(AdapterStatuses.Production));
            await admin.RegisterDeviceAsync(owner.ClientId, new RegisterDeviceRequest("sh-sdk-1", "gas.underground-methane", "370202", new DeviceLocation(120.38, 36.07)));
            await admin.RegisterDeviceAsync(owner.ClientId, new RegisterDeviceRequest("sh-sdk-2", "gas.underground-methane", "370202", new DeviceLocation(120.38, 36.07)));
        }
        await using var client = Sdk.For(Hub, owner.ClientId, owner.ClientSecret);
        var telemetry = client.GetRequiredService<ITelemetryApi>();
        await telemetry.IngestAsync(new TelemetryBatch([new TelemetryMessage
        {
            MessageId = HubFixture.Unique("sh-sdk"), DeviceId = "sh-sdk-1", Profile = "gas.underground-methane", Time = Hub.Time.GetUtcNow().AddMinutes(-2),
            Observations = [Observation.Quantity("ch4", 1.5, "%{LEL}")],
        }]));

        var health = await telemetry.GetSourceHealthAsync(window: 30);
        Assert.Equal(30, health.WindowMinutes);
        var adapter = Assert.Single(health.Adapters);
        Assert.Equal((owner.ClientId, 2, 1, 120.0), (adapter.AdapterId, adapter.Devices, adapter.Messages, adapter.LatenessP50Seconds));
        Assert.Equal(["sh-sdk-1", "sh-sdk-2"], health.Devices.Select(d => d.DeviceId).Order());
        Assert.Equal(900, health.Devices[0].ReportingIntervalSeconds);

        var rates = await telemetry.GetOnlineRateAsync(domain: "gas");
        Assert.Equal(("370202", 2, 2), (rates.Items.Single().District, rates.Total.Registered, rates.Total.Online));
    }
}
