using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Packets;

namespace IntegrationHub.Gateway.Tests.Subscriptions;

/// <summary>An event as a subscriber of any channel sees it.</summary>
public sealed record ReceivedEvent(string Id, string Type, JsonNode Data)
{
    public string? MessageId => Data["messageId"]?.GetValue<string>();

    public string? DeviceId => Data["deviceId"]?.GetValue<string>();
}

/// <summary>A subscription's receiving end: it collects events in arrival order, duplicates included.</summary>
public interface IChannelSubscriber : IAsyncDisposable
{
    Task<IReadOnlyList<ReceivedEvent>> WaitForAsync(int count);

    /// <summary>What a subscriber does after its subscription was rewound: a push channel just receives; a stream reconnects.</summary>
    Task AfterRewindAsync();
}

/// <summary>
/// One contract, every delivery channel (STYLE 17): each channel delivers every event its filter selects, in device
/// order, with stable ids, and replays on a rewind. Webhooks, MQTT and server-sent events each run it.
/// </summary>
public abstract class ChannelContract(SubscriptionHubFixture fixture)
{
    protected HubFactory Hub => fixture.Hub;

    /// <summary>Creates a subscription of this channel and starts receiving it.</summary>
    protected abstract Task<(string Id, IChannelSubscriber Subscriber)> SubscribeAsync(HttpClient client, string organizationId, object? filter);

    [Fact]
    public async Task DeliversEveryEvent_InDeviceOrder_WithTheOutboxIds()
    {
        var org = HubFixture.Unique(GetType().Name.ToLowerInvariant());
        using var client = await Hub.TenantAsync(org, "d1", "d2");
        var (_, subscriber) = await SubscribeAsync(client, org, null);
        await using var _ = subscriber;

        for (var round = 0; round < 3; round++)
        {
            await client.SendAsync("d1", $"d1-{round}");
            await client.SendAsync("d2", $"d2-{round}");
        }
        var events = await subscriber.WaitForAsync(6);

        Assert.All(events, e => Assert.Equal("city.integrationhub.observation.v1", e.Type));
        Assert.Equal(6, events.Select(e => e.Id).Distinct().Count());
        foreach (var device in new[] { "d1", "d2" })
        {
            var mine = events.Where(e => e.DeviceId == device).ToList();
            Assert.Equal(Enumerable.Range(0, 3).Select(r => $"{device}-{r}"), mine.Select(e => e.MessageId));
            Assert.Equal(mine.Select(e => long.Parse(e.Id, System.Globalization.CultureInfo.InvariantCulture)).Order(), mine.Select(e => long.Parse(e.Id, System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    [Fact]
    public async Task Filter_SelectsByTypeAndDevice()
    {
        var org = HubFixture.Unique(GetType().Name.ToLowerInvariant());
        using var client = await Hub.TenantAsync(org, "d1", "d2");
        var (_, subscriber) = await SubscribeAsync(client, org, new { types = new[] { "observation" }, devices = new[] { $"{org}/d2" } });
        await using var _ = subscriber;

        await client.SendAsync("d1", "skip-1");
        await client.SendAsync("d2", "take-1");
        await client.SendAsync("d1", "skip-2");
        await client.SendAsync("d2", "take-2");
        var events = await subscriber.WaitForAsync(2);

        Assert.Equal(["take-1", "take-2"], events.Select(e => e.MessageId));
    }

    [Fact]
    public async Task Rewind_RedeliversTheSameEvents_WithTheSameIds_InOrder()
    {
        var org = HubFixture.Unique(GetType().Name.ToLowerInvariant());
        using var client = await Hub.TenantAsync(org, "d1");
        var (id, subscriber) = await SubscribeAsync(client, org, null);
        await using var _ = subscriber;
        var before = Hub.Time.GetUtcNow();
        Hub.Time.Advance(TimeSpan.FromSeconds(1));
        await client.SendAsync("d1", "m-1", "m-2", "m-3");
        var first = await subscriber.WaitForAsync(3);

        using var rewind = await client.PostAsJsonAsync($"/v1/subscriptions/{id}/rewind", new { from = before });
        await rewind.ShouldBeAsync(HttpStatusCode.OK);
        await subscriber.AfterRewindAsync();
        var all = await subscriber.WaitForAsync(6);

        Assert.Equal(first.Select(e => e.Id), all.Skip(3).Select(e => e.Id));
        Assert.Equal(first.Select(e => e.Data.ToJsonString()), all.Skip(3).Select(e => e.Data.ToJsonString()));
    }
}

public sealed class WebhookChannelContract(SubscriptionHubFixture fixture) : ChannelContract(fixture), IClassFixture<SubscriptionHubFixture>
{
    protected override async Task<(string Id, IChannelSubscriber Subscriber)> SubscribeAsync(HttpClient client, string organizationId, object? filter)
    {
        var receiver = await WebhookReceiver.StartAsync();
        var subscription = await client.SubscribeAsync(new { name = "Contract", channel = "webhook", url = receiver.Url, filter });
        return (subscription["id"]!.GetValue<string>(), new Subscriber(receiver));
    }

    private sealed class Subscriber(WebhookReceiver receiver) : IChannelSubscriber
    {
        public async Task<IReadOnlyList<ReceivedEvent>> WaitForAsync(int count) =>
            [.. (await receiver.WaitForDeliveriesAsync(count)).Select(d => new ReceivedEvent(d.Header("ce-id")!, d.Header("ce-type")!, JsonNode.Parse(d.Body)!))];

        public Task AfterRewindAsync() => Task.CompletedTask;

        public ValueTask DisposeAsync() => receiver.DisposeAsync();
    }
}

public sealed class MqttChannelContract(SubscriptionHubFixture fixture) : ChannelContract(fixture), IClassFixture<SubscriptionHubFixture>
{
    protected override async Task<(string Id, IChannelSubscriber Subscriber)> SubscribeAsync(HttpClient client, string organizationId, object? filter)
    {
        var subscription = await client.SubscribeAsync(new { name = "Contract", channel = "mqtt", filter });
        var id = subscription["id"]!.GetValue<string>();
        Assert.Equal($"hub/v1/subscriptions/{id}", subscription["topic"]!.GetValue<string>());
        var mqtt = new MqttClientFactory().CreateMqttClient();
        var subscriber = new Subscriber(mqtt);
        var token = client.DefaultRequestHeaders.Authorization!.Parameter!;
        await mqtt.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", Hub.MqttPort)
            .WithClientId(HubFixture.Unique("contract"))
            .WithCredentials(organizationId + "-adapter", token)
            .Build());
        var subscribed = await mqtt.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic($"hub/v1/subscriptions/{id}").WithAtLeastOnceQoS()).Build());
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, subscribed.Items.Single().ResultCode);
        return (id, subscriber);
    }

    private sealed class Subscriber : IChannelSubscriber
    {
        private readonly IMqttClient _client;
        private readonly Lock _lock = new();
        private readonly List<ReceivedEvent> _events = [];
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Subscriber(IMqttClient client)
        {
            _client = client;
            client.ApplicationMessageReceivedAsync += e =>
            {
                var message = e.ApplicationMessage;
                string Property(string name) => message.UserProperties!.Single(p => p.Name == name).ReadValueAsString();
                var received = new ReceivedEvent(Property("id"), Property("type"), JsonNode.Parse(Encoding.UTF8.GetString(message.Payload))!);
                TaskCompletionSource changed;
                lock (_lock)
                {
                    _events.Add(received);
                    (changed, _changed) = (_changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                }
                changed.TrySetResult();
                return Task.CompletedTask;
            };
        }

        public async Task<IReadOnlyList<ReceivedEvent>> WaitForAsync(int count)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (true)
            {
                Task changed;
                lock (_lock)
                {
                    if (_events.Count >= count)
                    {
                        return [.. _events];
                    }
                    changed = _changed.Task;
                }
                await changed.WaitAsync(timeout.Token);
            }
        }

        public Task AfterRewindAsync() => Task.CompletedTask;

        public async ValueTask DisposeAsync()
        {
            await _client.DisconnectAsync();
            _client.Dispose();
        }
    }
}

public sealed class SseChannelContract(SubscriptionHubFixture fixture) : ChannelContract(fixture), IClassFixture<SubscriptionHubFixture>
{
    protected override async Task<(string Id, IChannelSubscriber Subscriber)> SubscribeAsync(HttpClient client, string organizationId, object? filter)
    {
        var subscription = await client.SubscribeAsync(new { name = "Contract", channel = "sse", filter });
        var id = subscription["id"]!.GetValue<string>();
        var subscriber = new Subscriber(client, subscription["stream"]!.GetValue<string>());
        await subscriber.OpenAsync();
        return (id, subscriber);
    }

    private sealed class Subscriber(HttpClient client, string path) : IChannelSubscriber
    {
        private readonly List<ReceivedEvent> _events = [];
        private SseReader? _stream;

        public async Task OpenAsync()
        {
            var (stream, response) = await SseReader.OpenAsync(client, path);
            Assert.True(stream is not null, $"the stream opened: {(int)response.StatusCode}");
            _stream = stream;
        }

        public async Task<IReadOnlyList<ReceivedEvent>> WaitForAsync(int count)
        {
            while (_events.Count < count)
            {
                var block = await _stream!.NextEventAsync();
                var envelope = JsonNode.Parse(block.Data!)!;
                Assert.Equal(block.Id, envelope["id"]!.GetValue<string>());
                Assert.Equal(block.Event, envelope["type"]!.GetValue<string>());
                _events.Add(new ReceivedEvent(block.Id!, block.Event!, envelope["data"]!.DeepClone()));
            }
            return [.. _events];
        }

        // A stream reads where its subscription stands when it connects: a reconnect without Last-Event-ID follows the rewind.
        public async Task AfterRewindAsync()
        {
            await _stream!.DisposeAsync();
            await OpenAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (_stream is not null)
            {
                await _stream.DisposeAsync();
            }
        }
    }
}
