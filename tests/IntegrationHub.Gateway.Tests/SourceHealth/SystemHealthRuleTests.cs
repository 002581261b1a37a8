using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Gateway.Cluster;
using IntegrationHub.Gateway.SourceHealth;
using IntegrationHub.Gateway.Tests.Infrastructure;
using IntegrationHub.Gateway.Tests.Mqtt;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IntegrationHub.Gateway.Tests.SourceHealth;

/// <summary>
/// The rules of the hub's own health (HLT-005): a full disk, a lost broker link and a certificate close to expiry, read
/// through the probe the test sets, and lagging event delivery, made by a receiver that holds its delivery. Each raises
/// its system alert and clears it when the condition ends; the test judges the rules when it chooses, as the leader does.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class SystemHealthRuleTests : IAsyncLifetime
{
    private readonly ProbedHub _hub = new(new()
    {
        ["Auth:AccessTokenLifetime"] = "1.00:00:00",
        ["SourceHealth:CheckInterval"] = "01:00:00",
        ["SourceHealth:CacheFor"] = "00:00:00",
        ["Subscriptions:AllowedHosts:0"] = "127.0.0.1",
    });

    private ProbedHub Hub => _hub;

    public ValueTask InitializeAsync()
    {
        Hub.StartServer();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _hub.DisposeAsync();

    private Task CheckAsync() =>
        Hub.Services.GetRequiredService<SystemAlerts>().CheckAsync(Hub.Services.GetRequiredService<Leadership>().Term, TestContext.Current.CancellationToken);

    /// <summary>The open alerts (<c>cleared</c> false) and cleared ones of a system rule, as (subject, level, cleared).</summary>
    private async Task<List<(string Subject, string Level, bool Cleared)>> AlertsAsync(string rule)
    {
        using var admin = await Hub.AdminAsync();
        return [.. (await admin.GetJsonAsync("/v1/alerts?domain=system"))["items"]!.AsArray()
            .Where(a => a!["ruleId"]!.GetValue<string>() == rule)
            .Select(a => (a!["deviceId"]!.GetValue<string>(), a["level"]!.GetValue<string>(), a["cleared"]!.GetValue<bool>()))];
    }

    [Fact]
    public async Task AFullDisk_RaisesOrange_AndClearsWhenSpaceIsFreed()
    {
        _hub.Probe.FreeDisk = 0.5;
        await CheckAsync();
        Assert.Empty(await AlertsAsync("system.disk-space"));

        // Below the 10 % the hub keeps free.
        _hub.Probe.FreeDisk = 0.05;
        await CheckAsync();
        Assert.Equal([("data-directory", "orange", false)], await AlertsAsync("system.disk-space"));

        _hub.Probe.FreeDisk = 0.4;
        await CheckAsync();
        Assert.Equal([("data-directory", "orange", true)], await AlertsAsync("system.disk-space"));
    }

    [Fact]
    public async Task ALostBrokerLink_RaisesOrange_AndClearsWhenTheLinkIsBack_AndNoBrokerMeansNoRule()
    {
        await CheckAsync();
        Assert.Empty(await AlertsAsync("system.broker-link"));

        _hub.Probe.BrokerUp = false;
        await CheckAsync();
        Assert.Equal([("mqtt-broker", "orange", false)], await AlertsAsync("system.broker-link"));

        _hub.Probe.BrokerUp = true;
        await CheckAsync();
        Assert.Equal([("mqtt-broker", "orange", true)], await AlertsAsync("system.broker-link"));
    }

    [Fact]
    public async Task ACertificate_RaisesBlueThirtyDaysBeforeItExpires_OnTheHubsClock_AndClearsWhenRenewed()
    {
        _hub.Probe.Expiry = Hub.Time.GetUtcNow().AddDays(31);
        await CheckAsync();
        Assert.Empty(await AlertsAsync("system.certificate-expiry"));

        Hub.Time.Leap(TimeSpan.FromDays(2));
        await CheckAsync();
        Assert.Equal([("mqtt-tls", "blue", false)], await AlertsAsync("system.certificate-expiry"));

        _hub.Probe.Expiry = Hub.Time.GetUtcNow().AddDays(365);
        await CheckAsync();
        Assert.Equal([("mqtt-tls", "blue", true)], await AlertsAsync("system.certificate-expiry"));
    }

    [Fact]
    public async Task ADeliveryHeldPastTheLagLimit_RaisesYellow_AndClearsOnceTheEventsGoOut()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var release = new TaskCompletionSource();
        receiver.Answer = r => r.Method == "POST" ? ReceiverAnswer.HeldUntil(release.Task, 200) : ReceiverAnswer.Ok;
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("lag-gas");
        var (id, secret) = await admin.CreateAdapterAsync("lag-gas", "lag-gas-adapter", scopes: ["telemetry:write", "telemetry:read", "subscriptions:manage"]);
        await admin.RegisterDeviceAsync(id, "lg-1");
        using var owner = Hub.As(await Hub.TokenAsync(id, secret));
        using (var subscribed = await owner.PostAsJsonAsync("/v1/subscriptions", new { name = "Gas centre", channel = "webhook", url = receiver.Url, filter = new { types = new[] { "observation" } } }, TestContext.Current.CancellationToken))
        {
            await subscribed.ShouldBeAsync(HttpStatusCode.Created);
        }
        using (var sent = await owner.PostBatchAsync(HubClient.Methane("lag-1", "lg-1", time: Hub.Time.GetUtcNow().AddMinutes(-1))))
        {
            await sent.ShouldBeAsync(HttpStatusCode.OK);
        }
        await receiver.WaitUntilAsync(r => r.Any(x => x.Method == "POST"));

        // The event has waited four minutes, then six: the limit is five.
        Hub.Time.Advance(TimeSpan.FromMinutes(4));
        await CheckAsync();
        Assert.Empty(await AlertsAsync("system.outbox-lag"));
        Hub.Time.Advance(TimeSpan.FromMinutes(2));
        await CheckAsync();
        Assert.Equal([("outbox", "yellow", false)], await AlertsAsync("system.outbox-lag"));

        release.TrySetResult();
        await receiver.WaitForDeliveriesAsync(1);
        await ExternalBrokerTests.WaitUntilAsync(async () =>
        {
            await CheckAsync();
            return (await AlertsAsync("system.outbox-lag")).SequenceEqual([("outbox", "yellow", true)]);
        }, "the lag alert to clear once the event went out");
    }

    /// <summary>A hub whose system probe the test sets.</summary>
    private sealed class ProbedHub(Dictionary<string, string?> settings) : HubFactory(null, settings)
    {
        public FakeProbe Probe { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton<ISystemProbe>(Probe)));
        }
    }

    internal sealed class FakeProbe : ISystemProbe
    {
        public double? FreeDisk { get; set; }

        public bool? BrokerUp { get; set; }

        public DateTimeOffset? Expiry { get; set; }

        public double? FreeDiskShare() => FreeDisk;

        public bool? BrokerLinkUp() => BrokerUp;

        public DateTimeOffset? CertificateExpiry() => Expiry;
    }
}
