using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Tests.Client;

/// <summary>A hub whose webhooks may reach receivers on loopback (the operator's allow-list), with few attempts before a dead letter.</summary>
public sealed class SubscriptionHubFixture : IAsyncLifetime
{
    public HubFactory Hub { get; } = new(null, new Dictionary<string, string?>
    {
        ["Subscriptions:AllowedHosts:0"] = "127.0.0.1",
        ["Subscriptions:MaxAttempts"] = "2",
        ["Subscriptions:Timeout"] = "00:00:05",
        ["Subscriptions:MaxBackoff"] = "00:00:10",
    });

    /// <summary>A step of the hub's clock that is due for every pending retry (longer than the longest backoff).</summary>
    public static readonly TimeSpan RetryStep = TimeSpan.FromSeconds(15);

    public ValueTask InitializeAsync()
    {
        Hub.StartServer();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await Hub.DisposeAsync();
}

/// <summary>Tenants and readings made through the SDK, as an integrator would.</summary>
internal static class Tenants
{
    public static readonly string[] Subscriber = ["telemetry:write", "telemetry:read", "alerts:read", "subscriptions:manage"];

    /// <summary>An organization with an adapter of the given scopes and methane devices; returns the adapter's credentials.</summary>
    public static async Task<AdapterCredentials> CreateAsync(HubFactory hub, string organizationId, string[] scopes, params string[] devices)
    {
        await using var sdk = Sdk.Admin(hub);
        var admin = sdk.GetRequiredService<IAdministrationApi>();
        await admin.CreateOrganizationAsync(new CreateOrganizationRequest($"Organization {organizationId}", "enterprise", Id: organizationId));
        var credentials = await admin.CreateAdapterAsync(organizationId, new CreateAdapterRequest($"Adapter {organizationId}", organizationId + "-adapter", Scopes: scopes));
        foreach (var device in devices)
        {
            await admin.RegisterDeviceAsync(credentials.ClientId, new RegisterDeviceRequest(device, "gas.underground-methane", "370202", new DeviceLocation(120.38, 36.07)));
        }
        return credentials;
    }

    /// <summary>One methane message per id, a second apart, ten minutes ago on the hub's clock; all accepted.</summary>
    public static async Task SendAsync(this ITelemetryApi telemetry, HubFactory hub, string deviceId, params string[] messageIds)
    {
        var start = hub.Time.GetUtcNow().AddMinutes(-10);
        var result = await telemetry.IngestAsync(new TelemetryBatch([.. messageIds.Select((id, i) => new TelemetryMessage
        {
            MessageId = id,
            DeviceId = deviceId,
            Profile = "gas.underground-methane",
            Time = start.AddSeconds(i),
            Observations = [Observation.Quantity("ch4", 1 + i, "%{LEL}")],
        })]));
        Assert.Equal(messageIds.Length, result.Accepted);
    }
}
