using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Tests.Subscriptions;

/// <summary>
/// An event as a subscriber of any channel sees it, and the payload that carried it: the data in binary mode, the whole
/// event in structured mode.
/// </summary>
public sealed record ReceivedEvent(string Id, string Source, string Type, JsonNode Data, JsonNode Payload, bool Structured)
{
    public string? MessageId => Data["messageId"]?.GetValue<string>();

    public string? DeviceId => Data["deviceId"]?.GetValue<string>();

    /// <summary>A binary-mode event: the attributes travelled beside the payload, which is the data.</summary>
    public static ReceivedEvent Binary(string id, string source, string type, JsonNode data) => new(id, source, type, data, data, Structured: false);

    /// <summary>A structured-mode event: the payload is the whole event (CloudEvents JSON format).</summary>
    public static ReceivedEvent FromStructured(JsonNode envelope)
    {
        string Attribute(string name) => envelope[name]?.GetValue<string>() ?? throw new FormatException($"Not a structured CloudEvent (no '{name}'): {envelope.ToJsonString()}");
        var data = envelope["data"] ?? throw new FormatException($"Not a structured CloudEvent (no data): {envelope.ToJsonString()}");
        return new(Attribute("id"), Attribute("source"), Attribute("type"), data.DeepClone(), envelope, Structured: true);
    }
}

/// <summary>What receives events of a channel: it collects them in arrival order, duplicates included.</summary>
public interface IChannelSubscriber : IAsyncDisposable
{
    Task<IReadOnlyList<ReceivedEvent>> WaitForAsync(int count);

    /// <summary>What a subscriber does after its subscription was rewound: a push channel just receives; a stream reconnects.</summary>
    Task AfterRewindAsync();
}

/// <summary>
/// One contract, every channel that carries the hub's events (STYLE 17, DESIGN §6): each delivers every event it
/// selects, in device order, as the outbox holds it (the same <c>source</c>, <c>id</c>, type and data, whichever channel
/// carried it), in a payload the spec describes. Subscription channels (webhooks, MQTT subscription topics, server-sent
/// events) add filters and replay (<see cref="SubscriptionChannelContract"/>); the live MQTT topics run this part. A
/// channel that carries something else (the feedback topic's message results) checks its payloads the same way, with
/// <see cref="AsyncApiPayloads"/>.
/// </summary>
public abstract class ChannelContract(SubscriptionHubFixture fixture)
{
    protected HubFactory Hub => fixture.Hub;

    /// <summary>An organization that may send and read, with the named devices; its client sends as the organization's adapter.</summary>
    protected virtual Task<HttpClient> TenantAsync(string organizationId, params string[] devices) => Hub.TenantAsync(organizationId, devices);

    /// <summary>Starts receiving, on this channel, the events the organization may read.</summary>
    protected abstract Task<IChannelSubscriber> ListenAsync(HttpClient client, string organizationId);

    [Fact]
    public async Task DeliversEveryEvent_InDeviceOrder_WithTheOutboxIds()
    {
        var org = HubFixture.Unique(GetType().Name.ToLowerInvariant());
        using var client = await TenantAsync(org, "d1", "d2");
        await using var subscriber = await ListenAsync(client, org);

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
    public async Task CarriesTheOutboxEventUnchanged_InThePayloadItsAsyncApiMessageDescribes()
    {
        var org = HubFixture.Unique(GetType().Name.ToLowerInvariant());
        using var client = await TenantAsync(org, "d1");
        await using var subscriber = await ListenAsync(client, org);

        await client.SendAsync("d1", "m-1", "m-2");
        var events = await subscriber.WaitForAsync(2);

        var outbox = await Hub.QueryAsync(db => db.Outbox.AsNoTracking().Where(e => e.OrganizationId == org).OrderBy(e => e.Id).ToListAsync());
        Assert.Equal(
            outbox.Select(e => (e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Source, e.Type)),
            events.Select(e => (e.Id, e.Source, e.Type)));
        Assert.All(events.Zip(outbox), pair => Assert.True(JsonNode.DeepEquals(JsonNode.Parse(pair.Second.Data), pair.First.Data), $"{pair.First.Data.ToJsonString()} is the outbox's {System.Text.Encoding.UTF8.GetString(pair.Second.Data)}"));
        Assert.All(events, e => AsyncApiPayloads.AssertValid(AsyncApiPayloads.MessageFor(e.Type, e.Structured), e.Payload));
    }
}

/// <summary>The contract of a subscription's channel: what <see cref="ChannelContract"/> asks, plus filters and replay.</summary>
public abstract class SubscriptionChannelContract(SubscriptionHubFixture fixture) : ChannelContract(fixture)
{
    /// <summary>Creates a subscription of this channel and starts receiving it.</summary>
    protected abstract Task<(string Id, IChannelSubscriber Subscriber)> SubscribeAsync(HttpClient client, string organizationId, object? filter);

    protected override async Task<IChannelSubscriber> ListenAsync(HttpClient client, string organizationId) =>
        (await SubscribeAsync(client, organizationId, null)).Subscriber;

    [Fact]
    public async Task Filter_SelectsByTypeAndDevice()
    {
        var org = HubFixture.Unique(GetType().Name.ToLowerInvariant());
        using var client = await TenantAsync(org, "d1", "d2");
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
        using var client = await TenantAsync(org, "d1");
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

public sealed class WebhookChannelContract(SubscriptionHubFixture fixture) : SubscriptionChannelContract(fixture), IClassFixture<SubscriptionHubFixture>
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
            [.. (await receiver.WaitForDeliveriesAsync(count)).Select(d => ReceivedEvent.Binary(d.Header("ce-id")!, d.Header("ce-source")!, d.Header("ce-type")!, JsonNode.Parse(d.Body)!))];

        public Task AfterRewindAsync() => Task.CompletedTask;

        public ValueTask DisposeAsync() => receiver.DisposeAsync();
    }
}

public sealed class SseChannelContract(SubscriptionHubFixture fixture) : SubscriptionChannelContract(fixture), IClassFixture<SubscriptionHubFixture>
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
                var received = ReceivedEvent.FromStructured(JsonNode.Parse(block.Data!)!);
                Assert.Equal(block.Id, received.Id);
                Assert.Equal(block.Event, received.Type);
                _events.Add(received);
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
