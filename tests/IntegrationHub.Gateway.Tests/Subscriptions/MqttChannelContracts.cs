using System.Text;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;

namespace IntegrationHub.Gateway.Tests.Subscriptions;

/// <summary>
/// A real MQTT client of one protocol version receiving the hub's events, as a subscriber reads them: on MQTT 5 a
/// binary-mode event (content type <c>application/json</c>) has its attributes in user properties and a structured one
/// is the payload; on 3.1.1, which has no properties, every event must arrive whole, in structured mode.
/// </summary>
internal sealed class MqttEventSubscriber : IChannelSubscriber
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly IMqttClient _client;
    private readonly MqttProtocolVersion _version;
    private readonly Lock _lock = new();
    private readonly List<(string Topic, ReceivedEvent Event)> _events = [];
    private readonly List<string> _unreadable = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private MqttEventSubscriber(IMqttClient client, MqttProtocolVersion version)
    {
        (_client, _version) = (client, version);
        client.ApplicationMessageReceivedAsync += e =>
        {
            var message = e.ApplicationMessage;
            TaskCompletionSource changed;
            lock (_lock)
            {
                try
                {
                    _events.Add((message.Topic, Read(message)));
                }
                catch (Exception failure) when (failure is FormatException or InvalidOperationException or System.Text.Json.JsonException)
                {
                    _unreadable.Add($"{message.Topic}: {failure.Message}");
                }
                (changed, _changed) = (_changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }
            changed.TrySetResult();
            return Task.CompletedTask;
        };
    }

    /// <summary>Connects as <paramref name="user"/> with an access token and subscribes at QoS 1 to the topic filters.</summary>
    public static async Task<MqttEventSubscriber> ConnectAsync(HubFactory hub, string user, string token, MqttProtocolVersion version, params string[] filters)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var subscriber = new MqttEventSubscriber(client, version);
        await client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", hub.MqttPort)
            .WithProtocolVersion(version)
            .WithClientId(HubFixture.Unique("events"))
            .WithCredentials(user, token)
            .WithTimeout(Timeout)
            .Build());
        var subscribe = new MqttClientSubscribeOptionsBuilder();
        foreach (var filter in filters)
        {
            subscribe.WithTopicFilter(f => f.WithTopic(filter).WithAtLeastOnceQoS());
        }
        var subscribed = await client.SubscribeAsync(subscribe.Build());
        Assert.All(subscribed.Items, item => Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, item.ResultCode));
        return subscriber;
    }

    /// <summary>A client of a channel test's tenant: its organization's adapter, with the tenant's token.</summary>
    public static Task<MqttEventSubscriber> ConnectAsync(HubFactory hub, HttpClient tenant, string organizationId, MqttProtocolVersion version, params string[] filters) =>
        ConnectAsync(hub, organizationId + "-adapter", tenant.DefaultRequestHeaders.Authorization!.Parameter!, version, filters);

    public async Task<IReadOnlyList<ReceivedEvent>> WaitForAsync(int count) =>
        [.. (await WaitUntilAsync(events => events.Count >= count)).Select(e => e.Event)];

    /// <summary>What arrived once <paramref name="done"/> holds for it: each event with the topic that carried it.</summary>
    public async Task<IReadOnlyList<(string Topic, ReceivedEvent Event)>> WaitUntilAsync(Func<IReadOnlyList<(string Topic, ReceivedEvent Event)>, bool> done)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                Assert.True(_unreadable.Count == 0, $"MQTT {_version} received what is not a CloudEvent of the hub: {string.Join("; ", _unreadable)}");
                if (done(_events))
                {
                    return [.. _events];
                }
                changed = _changed.Task;
            }
            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                lock (_lock)
                {
                    Assert.Fail($"MQTT {_version}: what the test waited for did not arrive within {Timeout}; it got {string.Join(", ", _events.Select(e => $"{e.Topic} {e.Event.Type} {e.Event.Id}"))}");
                }
            }
        }
    }

    public Task AfterRewindAsync() => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _client.DisconnectAsync();
        _client.Dispose();
    }

    private ReceivedEvent Read(MqttApplicationMessage message)
    {
        var payload = JsonNode.Parse(Encoding.UTF8.GetString(message.Payload)) ?? throw new FormatException("The payload is JSON null.");
        if (_version == MqttProtocolVersion.V500 && message.ContentType == "application/json")
        {
            string Attribute(string name) => message.UserProperties?.SingleOrDefault(p => p.Name == name)?.ReadValueAsString()
                ?? throw new FormatException($"A binary-mode event without the '{name}' user property.");
            return Attribute("specversion") == "1.0" ? ReceivedEvent.Binary(Attribute("id"), Attribute("source"), Attribute("type"), payload) : throw new FormatException("specversion is not 1.0.");
        }
        if (_version == MqttProtocolVersion.V500 && message.ContentType != "application/cloudevents+json")
        {
            throw new FormatException($"An MQTT 5 event with content type '{message.ContentType}'.");
        }
        return ReceivedEvent.FromStructured(payload);
    }
}

/// <summary>Subscriptions delivered to <c>hub/v1/subscriptions/{id}</c>, to a client of one MQTT version.</summary>
public abstract class MqttSubscriptionChannelContract(SubscriptionHubFixture fixture, MqttProtocolVersion version) : SubscriptionChannelContract(fixture)
{
    protected override async Task<(string Id, IChannelSubscriber Subscriber)> SubscribeAsync(HttpClient client, string organizationId, object? filter)
    {
        var subscription = await client.SubscribeAsync(new { name = "Contract", channel = "mqtt", filter });
        var id = subscription["id"]!.GetValue<string>();
        Assert.Equal($"hub/v1/subscriptions/{id}", subscription["topic"]!.GetValue<string>());
        return (id, await MqttEventSubscriber.ConnectAsync(Hub, client, organizationId, version, $"hub/v1/subscriptions/{id}"));
    }
}

public sealed class Mqtt5SubscriptionChannelContract(SubscriptionHubFixture fixture)
    : MqttSubscriptionChannelContract(fixture, MqttProtocolVersion.V500), IClassFixture<SubscriptionHubFixture>;

/// <summary>A binary-mode subscription (the default) reaches a 3.1.1 client in structured mode: 3.1.1 has no properties for the attributes.</summary>
public sealed class Mqtt311SubscriptionChannelContract(SubscriptionHubFixture fixture)
    : MqttSubscriptionChannelContract(fixture, MqttProtocolVersion.V311), IClassFixture<SubscriptionHubFixture>;

/// <summary>
/// The live topics <c>hub/v1/out/{district}/{domain}/{deviceId}</c>: no subscription, no filter, no replay, but the same
/// events as every other channel. Only production adapters' data streams there.
/// </summary>
public abstract class LiveTopicChannelContract(SubscriptionHubFixture fixture, MqttProtocolVersion version) : ChannelContract(fixture)
{
    protected override Task<HttpClient> TenantAsync(string organizationId, params string[] devices) => Hub.ProductionTenantAsync(organizationId, devices);

    protected override async Task<IChannelSubscriber> ListenAsync(HttpClient client, string organizationId) =>
        await MqttEventSubscriber.ConnectAsync(Hub, client, organizationId, version, "hub/v1/out/#");
}

public sealed class Mqtt5LiveTopicChannelContract(SubscriptionHubFixture fixture)
    : LiveTopicChannelContract(fixture, MqttProtocolVersion.V500), IClassFixture<SubscriptionHubFixture>;

public sealed class Mqtt311LiveTopicChannelContract(SubscriptionHubFixture fixture)
    : LiveTopicChannelContract(fixture, MqttProtocolVersion.V311), IClassFixture<SubscriptionHubFixture>;
