using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using MQTTnet.Formatter;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Subscriptions;

/// <summary>
/// Events are rendered once (DESIGN §6): an accepted message and the alert it raises reach a webhook, a server-sent event
/// stream, an MQTT subscription topic and the live observation and alert topics, on MQTT 5 and 3.1.1, as the outbox holds
/// them. Every copy has the same <c>source</c> and <c>id</c>, so a subscriber de-duplicates across channels, and the same
/// data, in the payload the AsyncAPI (or, for HTTP, the same message form) describes.
/// </summary>
public sealed class OneEventEveryChannelTests(SubscriptionHubFixture fixture) : IClassFixture<SubscriptionHubFixture>
{
    private const string Observation = "city.integrationhub.observation.v1";
    private const string Raised = "city.integrationhub.alert.raised.v1";

    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task AnObservationAndTheAlertItRaises_ReachEveryChannel_AsTheOutboxEvents()
    {
        var org = HubFixture.Unique("every-channel");
        using var client = await Hub.ProductionTenantAsync(org, "ch4-1");
        await using var webhook = await WebhookReceiver.StartAsync();
        await client.SubscribeAsync(new { name = "Hook", channel = "webhook", url = webhook.Url });
        var topic = (await client.SubscribeAsync(new { name = "Topic", channel = "mqtt" }))["topic"]!.GetValue<string>();
        var (stream, opened) = await SseReader.OpenAsync(client, (await client.SubscribeAsync(new { name = "Stream", channel = "sse" }))["stream"]!.GetValue<string>());
        Assert.True(stream is not null, $"the stream opened: {(int)opened.StatusCode}");
        await using var sse = stream;
        await using var mqtt5 = await MqttEventSubscriber.ConnectAsync(Hub, client, org, MqttProtocolVersion.V500, "hub/v1/out/#", "hub/v1/alerts/#", topic);
        await using var mqtt311 = await MqttEventSubscriber.ConnectAsync(Hub, client, org, MqttProtocolVersion.V311, "hub/v1/out/#", "hub/v1/alerts/#", topic);

        using (var red = await client.PostBatchAsync(Methane("m-red", "ch4-1", 60, time: DateTimeOffset.UtcNow.AddMinutes(-10))))
        {
            await red.ShouldBeAsync(HttpStatusCode.OK);
        }

        var copies = new List<(string Channel, ReceivedEvent Event)>();
        foreach (var (name, mqtt) in new[] { ("MQTT 5", mqtt5), ("MQTT 3.1.1", mqtt311) })
        {
            (string, string)[] expected = [("hub/v1/out/370202/gas/ch4-1", Observation), ("hub/v1/alerts/370202/gas/ch4-1", Raised), (topic, Observation), (topic, Raised)];
            var received = await mqtt.WaitUntilAsync(events => expected.All(x => events.Any(e => e.Topic == x.Item1 && e.Event.Type == x.Item2)));
            copies.AddRange(received.Where(e => expected.Contains((e.Topic, e.Event.Type))).Select(e => ($"{name} {e.Topic}", e.Event)));
        }
        copies.AddRange((await webhook.WaitForDeliveriesAsync(2)).Select(d => ("webhook", ReceivedEvent.Binary(d.Header("ce-id")!, d.Header("ce-source")!, d.Header("ce-type")!, JsonNode.Parse(d.Body)!))));
        for (var i = 0; i < 2; i++)
        {
            copies.Add(("server-sent events", ReceivedEvent.FromStructured(JsonNode.Parse((await sse.NextEventAsync()).Data!)!)));
        }

        var outbox = await Hub.QueryAsync(db => db.Outbox.AsNoTracking().Where(e => e.OrganizationId == org).OrderBy(e => e.Id).ToListAsync());
        Assert.Equal([Observation, Raised], outbox.Select(e => e.Type));
        foreach (var e in outbox)
        {
            var same = copies.Where(c => c.Event.Type == e.Type).ToList();
            Assert.Equal(6, same.Count); // two MQTT versions × (live topic + subscription topic), the webhook, the stream
            Assert.All(same, copy =>
            {
                Assert.Equal((e.Source, e.Id.ToString(CultureInfo.InvariantCulture)), (copy.Event.Source, copy.Event.Id));
                Assert.True(JsonNode.DeepEquals(JsonNode.Parse(e.Data), copy.Event.Data), $"{copy.Channel} carries {copy.Event.Data.ToJsonString()}, the outbox {System.Text.Encoding.UTF8.GetString(e.Data)}");
                AsyncApiPayloads.AssertValid(AsyncApiPayloads.MessageFor(e.Type, copy.Event.Structured), copy.Event.Payload);
            });
        }
        Assert.All(copies.Where(c => c.Channel.StartsWith("MQTT 3.1.1", StringComparison.Ordinal)), c => Assert.True(c.Event.Structured, c.Channel));
        Assert.All(copies.Where(c => c.Channel.StartsWith("MQTT 5", StringComparison.Ordinal)), c => Assert.False(c.Event.Structured, c.Channel));
    }
}
