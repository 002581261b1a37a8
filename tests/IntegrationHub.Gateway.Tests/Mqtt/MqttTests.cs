using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Mqtt;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Mqtt;

/// <summary>MQTT 3.1.1 and 5 clients (MQTTnet and mosquitto's) against the embedded broker.</summary>
public sealed class MqttTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private static readonly string[] ReadWrite = ["telemetry:write", "telemetry:read", "alerts:read"];
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private HubFactory Hub => fixture.Hub;

    /// <summary>A production adapter (sandbox data is never streamed) with the given devices.</summary>
    private async Task<(string Id, string Secret)> AdapterAsync(string organizationId, params string[] devices)
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(organizationId);
        var adapter = await admin.CreateAdapterAsync(organizationId, organizationId + "-adapter", scopes: ReadWrite);
        await (await admin.PutAsJsonAsync($"/v1/adapters/{adapter.Id}/status", new { status = "production" })).ShouldBeAsync(HttpStatusCode.OK);
        foreach (var device in devices)
        {
            await admin.RegisterDeviceAsync(adapter.Id, device);
        }
        return adapter;
    }

    private async Task<(IMqttClient Client, MqttClientConnectResult Result)> ConnectAsync(string user, string password, MqttProtocolVersion version = MqttProtocolVersion.V500, string? clientId = null)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", Hub.MqttPort)
            .WithProtocolVersion(version)
            .WithClientId(clientId ?? HubFixture.Unique("c"))
            .WithCredentials(user, password)
            .WithTimeout(Timeout)
            .Build();
        return (client, await client.ConnectAsync(options));
    }

    private static MqttApplicationMessage Ingest(string adapterId, JsonObject message) =>
        new MqttApplicationMessageBuilder()
            .WithTopic($"hub/v1/ingest/{adapterId}")
            .WithPayload(message.ToJsonString())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();

    /// <summary>Collects what a client receives, and lets a test await the next message on a topic.</summary>
    private sealed class Inbox
    {
        private readonly List<MqttApplicationMessage> _received = [];
        private readonly Lock _lock = new();
        private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Inbox(IMqttClient client) => client.ApplicationMessageReceivedAsync += e =>
        {
            using (_lock.EnterScope())
            {
                _received.Add(e.ApplicationMessage);
                _arrived.TrySetResult();
                _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            return Task.CompletedTask;
        };

        public IReadOnlyList<MqttApplicationMessage> Received
        {
            get
            {
                using (_lock.EnterScope())
                {
                    return [.. _received];
                }
            }
        }

        public async Task<MqttApplicationMessage> WaitForAsync(Func<MqttApplicationMessage, bool> match)
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                Task next;
                using (_lock.EnterScope())
                {
                    if (_received.FirstOrDefault(match) is { } found)
                    {
                        return found;
                    }
                    next = _arrived.Task;
                }
                var remaining = Timeout - deadline.Elapsed;
                Assert.True(remaining > TimeSpan.Zero, "the expected MQTT message did not arrive in time");
                await next.WaitAsync(remaining);
            }
        }
    }

    private static string Property(MqttApplicationMessage message, string name) =>
        message.UserProperties.Single(p => p.Name == name).ReadValueAsString();

    [Fact]
    public async Task Mqtt5_Publish_IsStored_AndStreamedWithCloudEventsProperties()
    {
        var org = HubFixture.Unique("mqtt5");
        var (id, secret) = await AdapterAsync(org, "ch4-1");
        var token = await Hub.TokenAsync(id, secret);
        var (listener, _) = await ConnectAsync(id, token);
        var inbox = new Inbox(listener);
        await listener.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("hub/v1/out/#").Build());
        var (publisher, connected) = await ConnectAsync(id, token);

        var ack = await publisher.PublishAsync(Ingest(id, Methane("m1", "ch4-1", 0.5, "%{vol}")));

        Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
        Assert.Equal(MqttClientPublishReasonCode.Success, ack.ReasonCode);
        Assert.Equal(10.0, await Hub.QueryAsync(db => db.Observations.Where(o => o.OrganizationId == org).Select(o => o.Number!.Value).SingleAsync()));
        var streamed = await inbox.WaitForAsync(m => m.Topic == "hub/v1/out/370202/gas/ch4-1");
        Assert.Equal("1.0", Property(streamed, "specversion"));
        Assert.Equal("city.integrationhub.observation.v1", Property(streamed, "type"));
        // The outbox's event, as webhooks and server-sent events carry it: source + id de-duplicate across channels.
        var outbox = await Hub.QueryAsync(db => db.Outbox.SingleAsync(e => e.OrganizationId == org));
        Assert.Equal(outbox.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Property(streamed, "id"));
        Assert.Equal("/integrationhub/hub/telemetry", Property(streamed, "source"));
        Assert.Equal("application/json", streamed.ContentType);
        Assert.Equal(10.0, JsonNode.Parse(Encoding.UTF8.GetString(streamed.Payload.ToArray()))!["observations"]![0]!["value"]!.GetValue<double>());
        await publisher.DisconnectAsync();
        await listener.DisconnectAsync();
    }

    [Fact]
    public async Task Mqtt5_Rejection_ComesInThePubAck_AndLandsInTheQuarantine()
    {
        var org = HubFixture.Unique("mqtt5-bad");
        var (id, secret) = await AdapterAsync(org, "ch4-1");
        var (client, _) = await ConnectAsync(id, await Hub.TokenAsync(id, secret));

        var unit = await client.PublishAsync(Ingest(id, Methane("m1", "ch4-1", 1, "%LEL")));
        var garbage = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"hub/v1/ingest/{id}").WithPayload("{not json").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        var duplicate = await client.PublishAsync(Ingest(id, Methane("m2", "ch4-1")));
        var again = await client.PublishAsync(Ingest(id, Methane("m2", "ch4-1")));

        Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, unit.ReasonCode);
        Assert.StartsWith("unit.unknown", unit.ReasonString, StringComparison.Ordinal);
        Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, garbage.ReasonCode);
        Assert.Equal("request.malformed-json", garbage.ReasonString);
        Assert.Equal((MqttClientPublishReasonCode.Success, MqttClientPublishReasonCode.Success), (duplicate.ReasonCode, again.ReasonCode));
        Assert.Equal(2, await Hub.QueryAsync(db => db.Quarantine.CountAsync(q => q.OrganizationId == org)));
        Assert.Equal(1, await Hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == id)));
    }

    [Fact]
    public async Task Mqtt5_RejectionPointer_PointsIntoWhatWasPublished()
    {
        var org = HubFixture.Unique("mqtt5-pointer");
        var (id, secret) = await AdapterAsync(org, "ch4-1");
        var (client, _) = await ConnectAsync(id, await Hub.TokenAsync(id, secret));

        var single = await client.PublishAsync(Ingest(id, Methane("m1", "ch4-1", 1, "%LEL")));
        var batch = await client.PublishAsync(Ingest(id, new JsonObject { ["messages"] = new JsonArray(Methane("m2", "ch4-1"), Methane("m3", "ch4-1", 1, "%LEL")) }));

        // RFC 6901: a pointer resolves in the document it refers to, the payload as published.
        Assert.Equal("unit.unknown at /observations/0/unit", single.ReasonString);
        Assert.Equal("unit.unknown at /messages/1/observations/0/unit", batch.ReasonString);
    }

    [Fact]
    public async Task Mqtt311_Rejection_IsPublishedToTheFeedbackTopic()
    {
        var org = HubFixture.Unique("mqtt311");
        var (id, secret) = await AdapterAsync(org, "ch4-1");
        var (client, connected) = await ConnectAsync(id, await Hub.TokenAsync(id, secret), MqttProtocolVersion.V311);
        var inbox = new Inbox(client);
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter($"hub/v1/feedback/{id}").Build());

        await client.PublishAsync(Ingest(id, Methane("m1", "ch4-1", 120)));
        await client.PublishAsync(Ingest(id, Methane("m2", "ch4-1", 3)));

        Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
        var feedback = JsonNode.Parse(Encoding.UTF8.GetString((await inbox.WaitForAsync(m => m.Topic == $"hub/v1/feedback/{id}")).Payload.ToArray()))!;
        Assert.Equal(("m1", "value.out-of-range"), (feedback["messageId"]!.GetValue<string>(), feedback["code"]!.GetValue<string>()));
        Assert.Equal(1, await Hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == id)));
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task FeedbackPayloads_ValidateAgainstTheSchemasTheAsyncApiNames(MqttProtocolVersion version)
    {
        var org = HubFixture.Unique("mqtt-feedback");
        var (id, secret) = await AdapterAsync(org, "ch4-1");
        var (client, _) = await ConnectAsync(id, await Hub.TokenAsync(id, secret), version);
        var inbox = new Inbox(client);
        var topic = $"hub/v1/feedback/{id}";
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(topic, MqttQualityOfServiceLevel.AtLeastOnce).Build());
        MqttApplicationMessage Raw(string payload, string? to = null) =>
            new MqttApplicationMessageBuilder().WithTopic(to ?? $"hub/v1/ingest/{id}").WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

        await client.PublishAsync(Ingest(id, Methane("m1", "ch4-1", 1, "%LEL")));
        await client.PublishAsync(Ingest(id, new JsonObject { ["messages"] = new JsonArray(Methane("m2", "ch4-1"), Methane("m3", "ch4-1", 120), Methane("m4", "nobody")) }));
        await client.PublishAsync(Raw("{not json"));
        await client.PublishAsync(Raw("[1, 2]"));
        await client.PublishAsync(Raw(Methane("m5", "ch4-1").ToJsonString(), "hub/v1/ingest/someone-else"));
        await client.PublishAsync(Ingest(id, Methane("m-last", "ch4-1")));
        await inbox.WaitForAsync(m => m.Topic == topic && m.ConvertPayloadToString().Contains("auth.insufficient-scope", StringComparison.Ordinal));

        var feedback = inbox.Received.Where(m => m.Topic == topic).ToList();
        Assert.All(feedback, m => AsyncApiPayloads.AssertValidOn("feedback", m));
        var payloads = feedback.Select(m => JsonNode.Parse(m.ConvertPayloadToString())!).ToList();
        // One result per rejected message, indexed and pointed within its publish; a publish refused whole is a problem.
        Assert.Equal(
            [("m1", 0, "unit.unknown", "/observations/0/unit"), ("m3", 1, "value.out-of-range", "/messages/1/observations/0/value"), ("m4", 2, "device.unregistered", "/messages/2/deviceId")],
            payloads.Where(p => p["messageId"] is not null).Select(p => (p["messageId"]!.GetValue<string>(), p["index"]!.GetValue<int>(), p["code"]!.GetValue<string>(), p["pointer"]!.GetValue<string>())));
        Assert.All(payloads.Where(p => p["messageId"] is not null), p => Assert.NotNull(p["quarantineId"]));
        Assert.Equal(["request.malformed-json", "batch.not-a-batch", "auth.insufficient-scope"], payloads.Where(p => p["messageId"] is null).Select(p => p["code"]!.GetValue<string>()));
        Assert.All(payloads.Where(p => p["messageId"] is null), p => Assert.Equal("/docs/errors/" + p["code"]!.GetValue<string>(), p["type"]!.GetValue<string>()));
        if (version == MqttProtocolVersion.V500)
        {
            Assert.Equal(["application/json", "application/json", "application/json", "application/problem+json", "application/problem+json", "application/problem+json"], feedback.Select(m => m.ContentType));
        }
    }

    [Fact]
    public async Task Connect_WithWrongOrForeignToken_IsRefused()
    {
        var org = HubFixture.Unique("mqtt-auth");
        var (id, secret) = await AdapterAsync(org);
        var (otherId, otherSecret) = await AdapterAsync(HubFixture.Unique("mqtt-auth-other"));

        var (_, garbage) = await ConnectAsync(id, "not-a-token");
        var (_, someoneElses) = await ConnectAsync(id, await Hub.TokenAsync(otherId, otherSecret));
        var (_, legacy) = await ConnectAsync(id, "not-a-token", MqttProtocolVersion.V311);

        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, garbage.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, someoneElses.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, legacy.ResultCode);
        Assert.NotEmpty(secret);
    }

    /// <summary>
    /// The credentials are judged before the client id: wrong ones get 0x86 (3.1.1: return code 4) whether or not the
    /// client sent an id, since a right token without an id is let in under an id the hub assigns (MQTT 5).
    /// </summary>
    [Fact]
    public async Task Connect_WithWrongCredentials_AndNoClientId_IsRefusedForTheCredentials()
    {
        var org = HubFixture.Unique("mqtt-no-id");
        var (id, secret) = await AdapterAsync(org);
        var token = await Hub.TokenAsync(id, secret);

        var (_, wrong5) = await ConnectAsync(id, "not-a-token", clientId: "");
        var (_, wrongDevice5) = await ConnectAsync($"{id}/no-such-device", "not-a-password", clientId: "");
        var (_, wrong311) = await ConnectAsync(id, "not-a-token", MqttProtocolVersion.V311, clientId: "");
        var (assigned, right5) = await ConnectAsync(id, token, clientId: "");
        var (_, right311) = await ConnectAsync(id, token, MqttProtocolVersion.V311, clientId: "");

        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, wrong5.ResultCode);
        Assert.Null(wrong5.AssignedClientIdentifier);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, wrongDevice5.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, wrong311.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.Success, right5.ResultCode);
        Assert.StartsWith(id + "-", right5.AssignedClientIdentifier, StringComparison.Ordinal);
        Assert.True(assigned.IsConnected);
        // MQTT 3.1.1 lets a server refuse an empty client id (return code 2); this hub assigns ids on MQTT 5 only.
        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, right311.ResultCode);
    }

    [Fact]
    public async Task PublishToAnotherAdaptersTopic_AndForbiddenSubscriptions_AreRefused()
    {
        var org = HubFixture.Unique("mqtt-acl");
        var (id, secret) = await AdapterAsync(org, "ch4-1");
        var (client, _) = await ConnectAsync(id, await Hub.TokenAsync(id, secret));

        var foreign = await client.PublishAsync(Ingest("someone-else", Methane("m1", "ch4-1")));
        var hubTopic = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("hub/v1/out/370202/gas/ch4-1").WithPayload("{}").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        var subscriptions = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("hub/v1/ingest/#")
            .WithTopicFilter("#")
            .WithTopicFilter("hub/v1/feedback/someone-else")
            .WithTopicFilter("hub/v1/alerts/#")
            .Build());

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, foreign.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, hubTopic.ReasonCode);
        Assert.Equal(
            [MqttClientSubscribeResultCode.NotAuthorized, MqttClientSubscribeResultCode.NotAuthorized, MqttClientSubscribeResultCode.NotAuthorized, MqttClientSubscribeResultCode.GrantedQoS0],
            subscriptions.Items.Select(i => i.ResultCode));
        Assert.Equal(0, await Hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == id)));
    }

    [Fact]
    public async Task OutStream_ReachesOnlyOrganizationsThatMayRead()
    {
        var owner = HubFixture.Unique("mqtt-owner");
        var (id, secret) = await AdapterAsync(owner, "ch4-1", "ch4-2");
        var (otherId, otherSecret) = await AdapterAsync(HubFixture.Unique("mqtt-outsider"));
        var (outsider, _) = await ConnectAsync(otherId, await Hub.TokenAsync(otherId, otherSecret));
        var outsiderInbox = new Inbox(outsider);
        await outsider.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("hub/v1/out/#").Build());
        var (ownerListener, _) = await ConnectAsync(id, await Hub.TokenAsync(id, secret));
        var ownerInbox = new Inbox(ownerListener);
        await ownerListener.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("hub/v1/out/#").Build());
        var (publisher, _) = await ConnectAsync(id, await Hub.TokenAsync(id, secret));

        await publisher.PublishAsync(Ingest(id, Methane("m1", "ch4-1")));
        await publisher.PublishAsync(Ingest(id, Methane("m2", "ch4-2")));
        await ownerInbox.WaitForAsync(m => m.Topic.EndsWith("/ch4-2", StringComparison.Ordinal));

        // The outsider's own organization publishes afterwards; once that arrives, the owner's would have too.
        using (var admin = await Hub.AdminAsync())
        {
            await admin.RegisterDeviceAsync(otherId, "own-1");
        }
        var (outsiderPublisher, _) = await ConnectAsync(otherId, await Hub.TokenAsync(otherId, otherSecret));
        await outsiderPublisher.PublishAsync(Ingest(otherId, Methane("m3", "own-1")));
        await outsiderInbox.WaitForAsync(m => m.Topic.EndsWith("/own-1", StringComparison.Ordinal));
        Assert.DoesNotContain(outsiderInbox.Received, m => m.Topic.EndsWith("/ch4-1", StringComparison.Ordinal) || m.Topic.EndsWith("/ch4-2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Suspension_EndsTheSessionAtOnce_AndReconnectingIsBanned()
    {
        var org = HubFixture.Unique("mqtt-suspend");
        var (id, secret) = await AdapterAsync(org);
        var token = await Hub.TokenAsync(id, secret);
        var (client, _) = await ConnectAsync(id, token);
        var disconnected = new TaskCompletionSource<MqttClientDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e);
            return Task.CompletedTask;
        };

        using (var admin = await Hub.AdminAsync())
        {
            await (await admin.PostAsync(new Uri($"/v1/adapters/{id}/suspend", UriKind.Relative), null)).ShouldBeAsync(HttpStatusCode.OK);
        }

        var reason = await disconnected.Task.WaitAsync(Timeout);
        Assert.Equal(MqttClientDisconnectReason.NotAuthorized, reason.Reason);
        var (_, again) = await ConnectAsync(id, token);
        Assert.Equal(MqttClientConnectResultCode.Banned, again.ResultCode);
    }

    [Fact]
    public async Task Suspension_AmidPublishes_AnswersNoneOfThemWithARefusal_SoTheyAreSentAgainAfterResumption()
    {
        var org = HubFixture.Unique("mqtt-suspend-busy");
        var (id, secret) = await AdapterAsync(org, "ch4-1");
        var token = await Hub.TokenAsync(id, secret);
        var clients = new List<IMqttClient>();
        for (var c = 0; c < 4; c++)
        {
            clients.Add((await ConnectAsync(id, token)).Client);
        }

        // Four connections keep publishes in flight while the adapter is suspended. Whatever the broker had read from a
        // connection before the session ended did nothing wrong: it must not be refused (a final answer), only left
        // unacknowledged, so that an MQTT client sends it again once it may reconnect.
        var publishes = clients.SelectMany((client, c) => Enumerable.Range(0, 150).Select(async i =>
        {
            try
            {
                return (Id: $"m-{c}-{i:000}", Result: (MqttClientPublishResult?)await client.PublishAsync(Ingest(id, Methane($"m-{c}-{i:000}", "ch4-1"))));
            }
            catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or InvalidOperationException)
            {
                return (Id: $"m-{c}-{i:000}", Result: null);
            }
        })).ToList();
        await Task.WhenAny(publishes).WaitAsync(Timeout);
        using (var admin = await Hub.AdminAsync())
        {
            await (await admin.PostAsync(new Uri($"/v1/adapters/{id}/suspend", UriKind.Relative), null)).ShouldBeAsync(HttpStatusCode.OK);
        }
        var outcomes = await Task.WhenAll(publishes).WaitAsync(Timeout);

        var answered = outcomes.Where(o => o.Result is not null).ToList();
        Assert.All(answered, o => Assert.True(o.Result!.ReasonCode == MqttClientPublishReasonCode.Success, $"{o.Id} was answered {o.Result.ReasonCode} {o.Result.ReasonString}"));
        var stored = await Hub.QueryAsync(db => db.Messages.Where(m => m.AdapterId == id).Select(m => m.MessageId).ToListAsync());
        Assert.Subset(stored.ToHashSet(), answered.Select(o => o.Id).ToHashSet());
    }

    [Fact]
    public async Task Reconnecting_WithTheSameClientId_KeepsTheNewSession()
    {
        var org = HubFixture.Unique("mqtt-same-id");
        var (id, secret) = await AdapterAsync(org, "ch4-1");
        var token = await Hub.TokenAsync(id, secret);
        var clientId = HubFixture.Unique("same");
        var oldGone = MqttServerEvents.DisconnectedAsync(Hub.Services.GetRequiredService<MqttBroker>().Server, e => e.ClientId == clientId);

        // A client reconnecting under its id before the broker let go of the old connection: MQTT hands the session over,
        // and the old connection's end is reported after the new one was let in.
        var (old, _) = await ConnectAsync(id, token, clientId: clientId);
        var (current, connected) = await ConnectAsync(id, token, clientId: clientId);
        await oldGone.WaitAsync(Timeout);
        var ack = await current.PublishAsync(Ingest(id, Methane("m1", "ch4-1")));

        Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
        Assert.False(old.IsConnected);
        Assert.Equal(MqttClientPublishReasonCode.Success, ack.ReasonCode);
        Assert.Equal(1, await Hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == id)));
    }

    [Fact]
    public async Task MosquittoClients_Publish311And5_AndSubscribeWithUserProperties()
    {
        if (!File.Exists("/usr/bin/mosquitto_pub"))
        {
            Assert.Skip("mosquitto-clients is not installed; ./test.sh installs it.");
        }
        var org = HubFixture.Unique("mosquitto");
        var (id, secret) = await AdapterAsync(org, "ch4-1");
        var token = await Hub.TokenAsync(id, secret);
        var port = Hub.MqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // mosquitto_sub prints nothing once subscribed: the broker's own event says when it is.
        var broker = Hub.Services.GetRequiredService<MqttBroker>();
        var subscriberId = HubFixture.Unique("mosquitto-sub");
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task OnSubscribed(MQTTnet.Server.ClientSubscribedTopicEventArgs e)
        {
            if (e.ClientId == subscriberId)
            {
                subscribed.TrySetResult();
            }
            return Task.CompletedTask;
        }
        broker.Server.ClientSubscribedTopicAsync += OnSubscribed;
        using var subscriber = Start("mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-V", "mqttv5", "-i", subscriberId, "-u", id, "-P", token, "-t", "hub/v1/out/#", "-C", "2", "-F", "%t %P %p", "-W", "20");
        await subscribed.Task.WaitAsync(Timeout);
        broker.Server.ClientSubscribedTopicAsync -= OnSubscribed;

        Assert.Equal(0, await Run("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-V", "mqttv311", "-i", HubFixture.Unique("pub311"), "-q", "1", "-u", id, "-P", token, "-t", $"hub/v1/ingest/{id}", "-m", Methane("m1", "ch4-1").ToJsonString()));
        Assert.Equal(0, await Run("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-V", "mqttv5", "-q", "1", "-u", id, "-P", token, "-t", $"hub/v1/ingest/{id}", "-m", Methane("m2", "ch4-1").ToJsonString()));

        var output = await subscriber.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(25));
        Assert.Equal(2, await Hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == id)));
        Assert.Contains("hub/v1/out/370202/gas/ch4-1", output, StringComparison.Ordinal);
        Assert.Contains("specversion:1.0", output, StringComparison.Ordinal);
        Assert.Contains("type:city.integrationhub.observation.v1", output, StringComparison.Ordinal);
    }

    private static Process Start(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return Process.Start(start)!;
    }

    private static async Task<int> Run(string file, params string[] arguments)
    {
        using var process = Start(file, arguments);
        await process.WaitForExitAsync().WaitAsync(Timeout);
        return process.ExitCode;
    }
}

/// <summary>Alert topics: retained latest alert per device, visible only to those who may read it.</summary>
public sealed class MqttAlertTopicTests() : OwnHub
{
    [Fact]
    public async Task AlertSteps_AreRetainedPerDevice_AndHiddenFromOtherOrganizations()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("alerting");
        var (id, secret) = await admin.CreateAdapterAsync("alerting", "alerting-adapter", scopes: ["telemetry:write", "alerts:read"]);
        await (await admin.PutAsJsonAsync($"/v1/adapters/{id}/status", new { status = "production" })).ShouldBeAsync(HttpStatusCode.OK);
        await admin.RegisterDeviceAsync(id, "ch4-1");
        await admin.CreateOrganizationAsync("onlooker");
        var (otherId, otherSecret) = await admin.CreateAdapterAsync("onlooker", "onlooker-adapter", scopes: ["telemetry:write", "alerts:read"]);
        using var client = Hub.As(await Hub.TokenAsync(id, secret));

        using (var posted = await client.PostBatchAsync(Methane("m1", "ch4-1", 60)))
        {
            await posted.ShouldBeAsync(HttpStatusCode.OK);
        }
        await Hub.Services.GetRequiredService<IntegrationHub.Gateway.Alerts.AlertEngine>().CaughtUpAsync(TestContext.Current.CancellationToken);
        await Hub.Services.GetRequiredService<MqttLiveTopics>().CaughtUpAsync(TestContext.Current.CancellationToken);

        // Subscribing afterwards still gets the device's latest alert: it is retained.
        async Task<List<MqttApplicationMessage>> ReceiveRetainedAsync(string user, string password, MqttProtocolVersion version = MqttProtocolVersion.V500, bool expected = false)
        {
            var received = new List<MqttApplicationMessage>();
            var client = new MqttClientFactory().CreateMqttClient();
            client.ApplicationMessageReceivedAsync += e =>
            {
                lock (received)
                {
                    received.Add(e.ApplicationMessage);
                }
                return Task.CompletedTask;
            };
            await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort).WithProtocolVersion(version)
                .WithClientId(HubFixture.Unique("alerts")).WithCredentials(user, password).Build());
            await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("hub/v1/alerts/#").Build());
            // A round trip through the broker after subscribing: retained messages are usually sent before its answer, but
            // the broker queues them apart from the ping's, so an expected one is waited for.
            await client.PingAsync();
            if (expected)
            {
                await ExternalBrokerTests.WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref received).Count > 0), "the retained alert");
            }
            await client.DisconnectAsync();
            lock (received)
            {
                return [.. received];
            }
        }

        var mine = await ReceiveRetainedAsync(id, await Hub.TokenAsync(id, secret), expected: true);
        var theirs = await ReceiveRetainedAsync(otherId, await Hub.TokenAsync(otherId, otherSecret));
        // MQTT 3.1.1 carries no properties: the hub keeps whose alert it is beside the message, and the event travels whole.
        var mine311 = await ReceiveRetainedAsync(id, await Hub.TokenAsync(id, secret), MqttProtocolVersion.V311, expected: true);
        var theirs311 = await ReceiveRetainedAsync(otherId, await Hub.TokenAsync(otherId, otherSecret), MqttProtocolVersion.V311);

        var retained = Assert.Single(mine);
        Assert.Equal("hub/v1/alerts/370202/gas/ch4-1", retained.Topic);
        Assert.True(retained.Retain);
        Assert.Equal("red", retained.UserProperties.Single(p => p.Name == "level").ReadValueAsString());
        Assert.Equal("red", JsonNode.Parse(Encoding.UTF8.GetString(retained.Payload.ToArray()))!["level"]!.GetValue<string>());
        Assert.Empty(theirs);
        var whole = Assert.Single(mine311);
        Assert.True(whole.Retain);
        var envelope = JsonNode.Parse(Encoding.UTF8.GetString(whole.Payload.ToArray()))!;
        Assert.Equal(retained.UserProperties.Single(p => p.Name == "id").ReadValueAsString(), envelope["id"]!.GetValue<string>());
        Assert.Equal("city.integrationhub.alert.raised.v1", envelope["type"]!.GetValue<string>());
        Assert.Equal("red", envelope["level"]!.GetValue<string>());
        Assert.Equal("red", envelope["data"]!["level"]!.GetValue<string>());
        Assert.Empty(theirs311);
    }
}

/// <summary>
/// Live observation topics are not retained, so the hub renders and publishes an observation there only while some
/// session subscribes to them: otherwise it would reach no one.
/// </summary>
public sealed class MqttLiveReaderTests() : OwnHub
{
    [Fact]
    public async Task LiveObservations_ArePublished_OnlyWhileASessionSubscribes()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("live");
        var (id, secret) = await admin.CreateAdapterAsync("live", "live-adapter", scopes: ["telemetry:write", "telemetry:read"]);
        await (await admin.PutAsJsonAsync($"/v1/adapters/{id}/status", new { status = "production" })).ShouldBeAsync(HttpStatusCode.OK);
        await admin.RegisterDeviceAsync(id, "ch4-1");
        var token = await Hub.TokenAsync(id, secret);
        using var client = Hub.As(token);
        var cancellation = TestContext.Current.CancellationToken;
        // This hub's own count of messages published to the live topics (other hubs of the test process count apart).
        var meters = Hub.Services.GetRequiredService<IMeterFactory>();
        var published = 0L;
        using var meter = new MeterListener();
        meter.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Name == "ihub.mqtt.messages.out")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meter.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref published, value));
        meter.Start();
        async Task IngestAsync(string messageId)
        {
            using var posted = await client.PostBatchAsync(Methane(messageId, "ch4-1", 1));
            await posted.ShouldBeAsync(HttpStatusCode.OK);
            await Hub.Services.GetRequiredService<MqttLiveTopics>().CaughtUpAsync(cancellation);
        }

        await IngestAsync("unread");
        var unread = Interlocked.Read(ref published);

        var listener = new MqttClientFactory().CreateMqttClient();
        var streamed = new TaskCompletionSource<MqttApplicationMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.ApplicationMessageReceivedAsync += e =>
        {
            streamed.TrySetResult(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        await listener.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort).WithClientId(HubFixture.Unique("live"))
            .WithCredentials(id, token).Build(), cancellation);
        await listener.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("hub/v1/out/#").Build(), cancellation);
        await IngestAsync("read");
        var read = await streamed.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellation);
        var whileSubscribed = Interlocked.Read(ref published);

        await listener.UnsubscribeAsync(new MqttClientUnsubscribeOptionsBuilder().WithTopicFilter("hub/v1/out/#").Build(), cancellation);
        await IngestAsync("unread-again");
        var afterwards = Interlocked.Read(ref published);
        await listener.DisconnectAsync(cancellationToken: cancellation);

        Assert.Equal(0, unread);
        Assert.Equal("hub/v1/out/370202/gas/ch4-1", read.Topic);
        Assert.Equal(1, whileSubscribed);
        Assert.Equal(1, afterwards);
    }
}
