using IntegrationHub.Client;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Mqtt;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Gateway.Mqtt;
using IntegrationHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Tests.Client;

/// <summary>The SDK's MQTT publisher as a telemetry transport, against the hub's embedded broker.</summary>
internal static class MqttPublisher
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>An organization with a production adapter and one methane device; returns the adapter's credentials.</summary>
    public static async Task<AdapterCredentials> AdapterAsync(HubFactory hub, string org)
    {
        await using var sdk = Sdk.Admin(hub);
        var admin = sdk.GetRequiredService<IAdministrationApi>();
        await admin.CreateOrganizationAsync(new CreateOrganizationRequest(org, "enterprise", Id: org));
        var credentials = await admin.CreateAdapterAsync(org, new CreateAdapterRequest(org, org + "-gas", ["gas.underground-methane"]));
        await admin.RegisterDeviceAsync(credentials.ClientId, new RegisterDeviceRequest("ch4-1", "gas.underground-methane", "370202", new DeviceLocation(120.38, 36.07)));
        return credentials;
    }

    /// <summary>The SDK as an integrator sets it up for MQTT, pointed at the hub's broker; HTTP telemetry goes through <paramref name="http"/> (it should see none).</summary>
    public static ServiceProvider For(HubFactory hub, AdapterCredentials adapter, TimeProvider time, WireTap http, Action<MqttPublisherOptions>? configure = null) =>
        Sdk.For(hub.BaseAddress, time, adapter.ClientId, adapter.ClientSecret, builder => builder
            .UseMqtt(options =>
            {
                options.Broker = new Uri($"mqtt://127.0.0.1:{hub.MqttPort}");
                configure?.Invoke(options);
            })
            .Tap(IntegrationHubHttpClients.Telemetry, http));

    public static TelemetryMessage Methane(HubFactory hub, string id, double value, string unit = "%{LEL}", int secondsAgo = 60) => new()
    {
        MessageId = id,
        DeviceId = "ch4-1",
        Profile = "gas.underground-methane",
        Time = hub.Time.GetUtcNow().AddSeconds(-secondsAgo),
        Observations = [Observation.Quantity("ch4", value, unit)],
    };

    /// <summary>Completes when the broker accepts the next connection of <paramref name="adapterId"/>.</summary>
    public static Task NextConnectionAsync(MqttBroker broker, string adapterId) => MqttServerEvents.ConnectedAsync(broker.Server, e => e.UserName == adapterId);

    public static Task<int> StoredAsync(HubFactory hub, string adapterId) => hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == adapterId));
}

public sealed class MqttPublisherTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    private MqttBroker Broker => Hub.Services.GetRequiredService<MqttBroker>();

    [Fact]
    public async Task Messages_GoOverMqtt_AndAreStoredInTheOrderSent()
    {
        var adapter = await MqttPublisher.AdapterAsync(Hub, HubFixture.Unique("mqtt-sdk"));
        var http = new WireTap();
        await using var sdk = MqttPublisher.For(Hub, adapter, Hub.Time, http, options => options.MaxInFlight = 8);
        var sender = sdk.GetRequiredService<ITelemetrySender>();

        var results = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => sender.SendAsync(MqttPublisher.Methane(Hub, $"m-{i:00}", i % 7, secondsAgo: 600 - i)))).WaitAsync(MqttPublisher.Timeout, TestContext.Current.CancellationToken);

        Assert.All(results, r => Assert.Equal(MessageStatus.Accepted, r.Status));
        Assert.Equal(Enumerable.Range(0, 60).Select(i => $"m-{i:00}"), results.Select(r => r.MessageId));
        Assert.Equal(0, http.Requests);
        Assert.Contains(Broker.Sessions, s => s.Caller.ClientId == adapter.ClientId);
        var stored = await Hub.QueryAsync(db => db.Messages.Where(m => m.AdapterId == adapter.ClientId).OrderBy(m => m.Id).Select(m => m.MessageId).ToListAsync());
        Assert.Equal(results.Select(r => r.MessageId), stored);
    }

    [Fact]
    public async Task RejectedMessage_SurfacesAsARejection_WithTheHubsFullVerdict()
    {
        var adapter = await MqttPublisher.AdapterAsync(Hub, HubFixture.Unique("mqtt-sdk-bad"));
        await using var sdk = MqttPublisher.For(Hub, adapter, Hub.Time, new WireTap());
        var sender = sdk.GetRequiredService<ITelemetrySender>();

        var results = await Task.WhenAll(
            sender.SendAsync(MqttPublisher.Methane(Hub, "good", 3)),
            sender.SendAsync(MqttPublisher.Methane(Hub, "bad-unit", 3, "%LEL")),
            sender.SendAsync(MqttPublisher.Methane(Hub, "too-high", 120))).WaitAsync(MqttPublisher.Timeout, TestContext.Current.CancellationToken);

        Assert.Equal([MessageStatus.Accepted, MessageStatus.Rejected, MessageStatus.Rejected], results.Select(r => r.Status));
        Assert.Equal(("unit.unknown", "/observations/0/unit"), (results[1].Code, results[1].Pointer));
        Assert.Equal("value.out-of-range", results[2].Code);
        Assert.Contains("%{LEL}", Assert.Single(results[1].Errors!).Detail, StringComparison.Ordinal);
        var quarantined = await Hub.QueryAsync(db => db.Quarantine.Where(q => q.AdapterId == adapter.ClientId).OrderBy(q => q.Id).Select(q => new { q.Id, q.MessageId }).ToListAsync());
        Assert.Equal([(results[1].QuarantineId, "bad-unit"), (results[2].QuarantineId, "too-high")], quarantined.Select(q => ((long?)q.Id, q.MessageId)));
        Assert.Equal(1, await MqttPublisher.StoredAsync(Hub, adapter.ClientId));
    }

    [Fact]
    public async Task Publisher_ReconnectsAfterTheHubCutsItOff_AndDeliversEverythingOnceInOrder()
    {
        var adapter = await MqttPublisher.AdapterAsync(Hub, HubFixture.Unique("mqtt-sdk-cut"));
        // Real time on the publisher's side, so that its backoff runs out by itself.
        await using var sdk = MqttPublisher.For(Hub, adapter, TimeProvider.System, new WireTap(), options =>
            (options.MaxInFlight, options.MinReconnectDelay, options.MaxReconnectDelay) = (4, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(200)));
        var sender = sdk.GetRequiredService<ITelemetrySender>();
        await using var adminSdk = Sdk.Admin(Hub);
        var admin = adminSdk.GetRequiredService<IAdministrationApi>();
        var cancellation = TestContext.Current.CancellationToken;
        var sends = Enumerable.Range(0, 100).Select(i => sender.SendAsync(MqttPublisher.Methane(Hub, $"m-{i:000}", i % 7, secondsAgo: 600 - i))).ToList();
        await sends[10].WaitAsync(MqttPublisher.Timeout, cancellation);

        // Suspending ends the session at once, most likely amid the publishes, and revokes the adapter's tokens: the
        // publisher cannot get back in until the adapter is resumed, and what it sends meanwhile waits.
        var back = MqttPublisher.NextConnectionAsync(Broker, adapter.ClientId);
        await admin.SuspendAdapterAsync(adapter.ClientId, new NoteRequest("inspection"));
        var waiting = sender.SendAsync(MqttPublisher.Methane(Hub, "m-100", 4, secondsAgo: 400));
        Assert.DoesNotContain(Broker.Sessions, s => s.Caller.ClientId == adapter.ClientId);
        Assert.False(waiting.IsCompleted);
        await admin.ResumeAdapterAsync(adapter.ClientId, new NoteRequest());
        await back.WaitAsync(MqttPublisher.Timeout, cancellation);
        var results = await Task.WhenAll(sends.Append(waiting)).WaitAsync(MqttPublisher.Timeout, cancellation);

        Assert.All(results, r => Assert.Equal(MessageStatus.Accepted, r.Status));
        var stored = await Hub.QueryAsync(db => db.Messages.Where(m => m.AdapterId == adapter.ClientId).OrderBy(m => m.Id).Select(m => m.MessageId).ToListAsync());
        Assert.Equal(Enumerable.Range(0, 101).Select(i => $"m-{i:000}"), stored);
    }
}

/// <summary>The hub ends MQTT sessions whose token expired; the publisher moves to a fresh token before that, on the hub's clock.</summary>
public sealed class MqttPublisherTokenTests : OwnHub
{
    [Fact]
    public async Task Publisher_ReconnectsWithAFreshToken_BeforeItsTokenExpires()
    {
        var adapter = await MqttPublisher.AdapterAsync(Hub, "mqtt-sdk-renew");
        await using var sdk = MqttPublisher.For(Hub, adapter, Hub.Time, new WireTap());
        var sender = sdk.GetRequiredService<ITelemetrySender>();
        var broker = Hub.Services.GetRequiredService<MqttBroker>();
        var cancellation = TestContext.Current.CancellationToken;
        Assert.Equal(MessageStatus.Accepted, (await sender.SendAsync(MqttPublisher.Methane(Hub, "first", 3)).WaitAsync(MqttPublisher.Timeout, cancellation)).Status);
        var first = Assert.Single(broker.Sessions, s => s.Caller.ClientId == adapter.ClientId).Token;

        // Tokens live an hour and are replaced a minute before they expire: half a minute past that, the publisher has moved on.
        var renewed = MqttPublisher.NextConnectionAsync(broker, adapter.ClientId);
        Hub.Time.Advance(TimeSpan.FromMinutes(59.5));
        await renewed.WaitAsync(MqttPublisher.Timeout, cancellation);
        Hub.Time.Advance(TimeSpan.FromMinutes(1));
        await Hub.Services.GetRequiredService<MqttSessionGuard>().CheckAsync(cancellation);

        var session = Assert.Single(broker.Sessions, s => s.Caller.ClientId == adapter.ClientId);
        Assert.True(first!.ExpiresAt <= Hub.Time.GetUtcNow(), "the first token should have expired by now");
        Assert.True(session.Token!.ExpiresAt > Hub.Time.GetUtcNow().AddMinutes(30), $"the session's token expires at {session.Token.ExpiresAt}");
        Assert.Equal(MessageStatus.Accepted, (await sender.SendAsync(MqttPublisher.Methane(Hub, "second", 3)).WaitAsync(MqttPublisher.Timeout, cancellation)).Status);
        Assert.Equal(2, await MqttPublisher.StoredAsync(Hub, adapter.ClientId));
    }
}
