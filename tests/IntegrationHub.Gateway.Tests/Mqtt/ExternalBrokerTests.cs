using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Mqtt;

/// <summary>A real mosquitto broker and a hub in External mode consuming from it through the shared subscription.</summary>
public sealed class ExternalBrokerFixture : IAsyncLifetime
{
    public Mosquitto? Broker { get; private set; }

    public HubFactory? Hub { get; private set; }

    /// <summary>The client id the hub connects to the broker with.</summary>
    public string HubClientId { get; } = "hub-" + Guid.NewGuid().ToString("N");

    /// <summary>A message id whose write the hub's store refuses (a fault point), to poison ingest with.</summary>
    public const string PoisonWrite = "poison-write";

    public async ValueTask InitializeAsync()
    {
        if (Mosquitto.Binary is null)
        {
            return; // each test skips, saying why
        }
        Broker = await Mosquitto.StartAsync();
        Hub = new HubFactory(null, new Dictionary<string, string?>
        {
            ["Mqtt:Mode"] = "External",
            ["Mqtt:External:Host"] = "127.0.0.1",
            ["Mqtt:External:Port"] = Broker.Port.ToString(CultureInfo.InvariantCulture),
            ["Mqtt:External:ClientId"] = HubClientId,
            ["Mqtt:External:ReconnectDelayMs"] = "50",
            ["Faults:FailWriteOfMessageId"] = PoisonWrite,
        });
        Hub.StartServer();
        // Ready once the shared subscription is in place: what is published before that, no one receives.
        using var http = new HttpClient { BaseAddress = Hub.BaseAddress };
        await ExternalBrokerTests.WaitUntilAsync(async () => (await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).IsSuccessStatusCode, "the hub connected to mosquitto");
    }

    public async ValueTask DisposeAsync()
    {
        if (Hub is not null)
        {
            await Hub.DisposeAsync();
        }
        if (Broker is not null)
        {
            await Broker.DisposeAsync();
        }
    }
}

/// <summary>
/// External mode against a real mosquitto: ingest through the shared subscription is stored exactly once, acknowledged
/// to the broker only after the durable write (a crash before it makes the broker deliver again), rejections reach the
/// adapter's feedback topic on the broker, and the out-streams are published there with their CloudEvents properties.
/// </summary>
public sealed partial class ExternalBrokerTests(ExternalBrokerFixture fixture) : IClassFixture<ExternalBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly string[] ReadWrite = ["telemetry:write", "telemetry:read"];

    /// <summary>Waits for a condition the hub reaches on its own (a count in its database, its readiness), checking every few milliseconds, with a timeout.</summary>
    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < Timeout, $"timed out waiting for {what}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    private (Mosquitto Broker, HubFactory Hub) Setup()
    {
        if (fixture.Broker is null || fixture.Hub is null)
        {
            Assert.Skip("mosquitto is not installed; ./test.sh installs it.");
        }
        return (fixture.Broker, fixture.Hub);
    }

    internal static async Task<IMqttClient> ConnectAsync(int port, string clientId, MqttProtocolVersion version = MqttProtocolVersion.V500)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(version)
            .WithClientId(clientId).WithTimeout(Timeout).Build(), TestContext.Current.CancellationToken);
        return client;
    }

    /// <summary>A QoS 1 publish on the adapter's ingest topic, or on a device's own below it.</summary>
    internal static MqttApplicationMessage Ingest(string adapterId, string payload, string? deviceId = null) =>
        new MqttApplicationMessageBuilder().WithTopic(deviceId is null ? $"hub/v1/ingest/{adapterId}" : $"hub/v1/ingest/{adapterId}/devices/{deviceId}").WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    /// <summary>The first message a client receives on a topic filter it subscribes to now.</summary>
    private static async Task<Task<MqttApplicationMessage>> NextAsync(IMqttClient client, string filter, Func<MqttApplicationMessage, bool>? match = null)
    {
        var received = new TaskCompletionSource<MqttApplicationMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ApplicationMessageReceivedAsync += e =>
        {
            if (MqttTopicFilterComparer.Compare(e.ApplicationMessage.Topic, filter) == MqttTopicFilterCompareResult.IsMatch && (match?.Invoke(e.ApplicationMessage) ?? true))
            {
                received.TrySetResult(e.ApplicationMessage);
            }
            return Task.CompletedTask;
        };
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build(), TestContext.Current.CancellationToken);
        return received.Task.WaitAsync(Timeout);
    }

    [Fact]
    public async Task TenThousandPublishes_FromEightPublishers_AreStoredExactlyOnce_AndStreamedOut()
    {
        var (broker, hub) = Setup();
        var org = HubFixture.Unique("ext");
        using var admin = await hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (adapterId, _) = await admin.CreateAdapterAsync(org, org + "-adapter", scopes: ReadWrite);
        await (await admin.PutAsJsonAsync($"/v1/adapters/{adapterId}/status", new { status = "production" }, TestContext.Current.CancellationToken)).ShouldBeAsync(HttpStatusCode.OK);
        const int publishers = 8, each = 1250;
        for (var d = 0; d < publishers; d++)
        {
            await admin.RegisterDeviceAsync(adapterId, $"ext-{d}");
        }
        var listener = await ConnectAsync(broker.Port, "listener-" + org);
        var streamed = await NextAsync(listener, "hub/v1/out/#", m => m.Topic == "hub/v1/out/370202/gas/ext-0");
        var legacyListener = await ConnectAsync(broker.Port, "legacy-" + org, MqttProtocolVersion.V311);
        var legacyStreamed = await NextAsync(legacyListener, "hub/v1/out/#", m => m.Topic == "hub/v1/out/370202/gas/ext-0");

        await Task.WhenAll(Enumerable.Range(0, publishers).Select(async p =>
        {
            using var publisher = await ConnectAsync(broker.Port, $"pub-{org}-{p}");
            for (var i = 0; i < each; i++)
            {
                await publisher.PublishAsync(Ingest(adapterId, Methane($"m-{p}-{i}", $"ext-{p}", i % 50 / 10.0).ToJsonString()), TestContext.Current.CancellationToken);
            }
            // A device re-sending what it sent before: stored once.
            for (var i = 0; i < 50; i++)
            {
                await publisher.PublishAsync(Ingest(adapterId, Methane($"m-{p}-{i}", $"ext-{p}", i % 50 / 10.0).ToJsonString()), TestContext.Current.CancellationToken);
            }
        }));
        // A last publish after all the re-sends: broker order is kept, so once it is stored, everything before it was judged.
        using (var last = await ConnectAsync(broker.Port, "last-" + org))
        {
            await last.PublishAsync(Ingest(adapterId, Methane("m-last", "ext-0").ToJsonString()), TestContext.Current.CancellationToken);
        }
        await WaitUntilAsync(() => hub.QueryAsync(db => db.Messages.AnyAsync(m => m.AdapterId == adapterId && m.MessageId == "m-last")), "the last publish to be stored");

        var (rows, ids, observations) = await hub.QueryAsync(async db => (
            await db.Messages.CountAsync(m => m.AdapterId == adapterId),
            await db.Messages.Where(m => m.AdapterId == adapterId).Select(m => m.MessageId).Distinct().CountAsync(),
            await db.Observations.CountAsync(o => o.OrganizationId == org)));
        Assert.Equal(publishers * each + 1, rows);
        Assert.Equal(rows, ids);
        Assert.Equal(rows, observations);
        Assert.Equal(0, await hub.QueryAsync(db => db.Quarantine.CountAsync(q => q.OrganizationId == org)));

        // The out-stream goes to the external broker as the outbox's events, whole (structured mode): a broker passes a
        // message on as published, so this is the form MQTT 5 and 3.1.1 receivers alike read with its id and source.
        var observation = await streamed;
        Assert.Equal("application/cloudevents+json", observation.ContentType);
        foreach (var message in new[] { observation, await legacyStreamed })
        {
            var envelope = JsonNode.Parse(message.Payload.ToArray())!;
            AsyncApiPayloads.AssertValid("observationStructured", envelope);
            var id = long.Parse(envelope["id"]!.GetValue<string>(), CultureInfo.InvariantCulture);
            var outbox = await hub.QueryAsync(db => db.Outbox.SingleAsync(e => e.Id == id));
            Assert.Equal((outbox.Source, outbox.Subject, org), (envelope["source"]!.GetValue<string>(), envelope["subject"]!.GetValue<string>(), envelope["organization"]!.GetValue<string>()));
            Assert.Equal($"{org}/ext-0", outbox.Subject);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(outbox.Data), envelope["data"]), envelope.ToJsonString());
        }
    }

    [Fact]
    public async Task Rejections_AreQuarantined_AndReportedOnTheFeedbackTopic_AndASuspendedAdapterIsRefused()
    {
        var (broker, hub) = Setup();
        var org = HubFixture.Unique("extbad");
        using var admin = await hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (adapterId, _) = await admin.CreateAdapterAsync(org, org + "-adapter", scopes: ReadWrite);
        await admin.RegisterDeviceAsync(adapterId, "bad-1");
        var client = await ConnectAsync(broker.Port, "bad-" + org);

        var invalid = await NextAsync(client, $"hub/v1/feedback/{adapterId}", m => m.ConvertPayloadToString().Contains("value.out-of-range", StringComparison.Ordinal));
        await client.PublishAsync(Ingest(adapterId, Methane("m-range", "bad-1", 900).ToJsonString()), TestContext.Current.CancellationToken);
        var rejected = JsonNode.Parse((await invalid).Payload.ToArray())!;
        Assert.Equal(("m-range", "rejected"), (rejected["messageId"]!.GetValue<string>(), rejected["status"]!.GetValue<string>()));
        Assert.NotNull(rejected["quarantineId"]);

        var malformed = await NextAsync(client, $"hub/v1/feedback/{adapterId}", m => m.ConvertPayloadToString().Contains("request.malformed-json", StringComparison.Ordinal));
        await client.PublishAsync(Ingest(adapterId, "{not json"), TestContext.Current.CancellationToken);
        await malformed;
        Assert.Equal(2, await hub.QueryAsync(db => db.Quarantine.CountAsync(q => q.OrganizationId == org)));

        await (await admin.PostAsync(new Uri($"/v1/adapters/{adapterId}/suspend", UriKind.Relative), null, TestContext.Current.CancellationToken)).ShouldBeAsync(HttpStatusCode.OK);
        hub.Time.Advance(TimeSpan.FromSeconds(6)); // past the adapter cache (Mqtt:External:AdapterCacheDuration)
        var suspended = await NextAsync(client, $"hub/v1/feedback/{adapterId}", m => m.ConvertPayloadToString().Contains("adapter.suspended", StringComparison.Ordinal));
        await client.PublishAsync(Ingest(adapterId, Methane("m-suspended", "bad-1").ToJsonString()), TestContext.Current.CancellationToken);
        await suspended;
        Assert.False(await hub.QueryAsync(db => db.Messages.AnyAsync(m => m.AdapterId == adapterId && m.MessageId == "m-suspended")));
    }

    [Theory]
    [InlineData("a lone surrogate escape")]
    [InlineData("a write the store refuses")]
    public async Task Poison_IsQuarantinedReportedAndAcknowledged_TheOthersAreStored_AndTheHubStaysConnected(string kind)
    {
        var (broker, hub) = Setup();
        var org = HubFixture.Unique("extpoison");
        using var admin = await hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (adapterId, _) = await admin.CreateAdapterAsync(org, org + "-adapter", scopes: ReadWrite);
        const int publishers = 4, each = 25, poisonEvery = 5;
        for (var p = 0; p <= publishers; p++)
        {
            await admin.RegisterDeviceAsync(adapterId, $"good-{p}");
        }
        var listener = await ConnectAsync(broker.Port, "listener-" + org);
        var feedback = new System.Collections.Concurrent.ConcurrentQueue<MqttApplicationMessage>();
        listener.ApplicationMessageReceivedAsync += e =>
        {
            feedback.Enqueue(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        await listener.SubscribeAsync($"hub/v1/feedback/{adapterId}", MqttQualityOfServiceLevel.AtLeastOnce, TestContext.Current.CancellationToken);
        var connectionsBefore = HubConnections(broker);
        string Poison(int i) => kind == "a write the store refuses"
            ? Methane(ExternalBrokerFixture.PoisonWrite, $"good-{publishers}").ToJsonString()
            : Methane($"poison-{i}", $"good-{publishers}", edit: m => m["observations"]![0]!["unit"] = "%{LEL}@").ToJsonString().Replace("@", "\\ud800", StringComparison.Ordinal);

        // Publisher {publishers} sends a poison every fifth publish, among the others' publishes, through the same shared subscription.
        await Task.WhenAll(Enumerable.Range(0, publishers + 1).Select(async p =>
        {
            using var publisher = await ConnectAsync(broker.Port, $"pub-{org}-{p}");
            for (var i = 0; i < each; i++)
            {
                var payload = p == publishers && i % poisonEvery == poisonEvery - 1 ? Poison(i) : Methane($"m-{p}-{i}", $"good-{p}").ToJsonString();
                await publisher.PublishAsync(Ingest(adapterId, payload), TestContext.Current.CancellationToken);
            }
        }));
        using (var last = await ConnectAsync(broker.Port, "last-" + org))
        {
            await last.PublishAsync(Ingest(adapterId, Methane("m-last", "good-0").ToJsonString()), TestContext.Current.CancellationToken);
        }
        await WaitUntilAsync(() => hub.QueryAsync(db => db.Messages.AnyAsync(m => m.AdapterId == adapterId && m.MessageId == "m-last")), "the last publish to be stored");
        var poisons = each / poisonEvery;
        await WaitUntilAsync(() => Task.FromResult(feedback.Count >= poisons), "the poison's feedback");

        Assert.Equal((publishers + 1) * each - poisons + 1, await hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == adapterId)));
        // Each poison was judged once: acknowledged to the broker, which does not deliver it again.
        Assert.Equal(poisons, await hub.QueryAsync(db => db.Quarantine.CountAsync(q => q.OrganizationId == org)));
        Assert.Equal(poisons, feedback.Count);
        Assert.All(feedback, m => AsyncApiPayloads.AssertValidOn("feedback", m));
        Assert.All(feedback, m => Assert.Equal(kind == "a write the store refuses" ? "message.not-stored" : "message.invalid-text", JsonNode.Parse(m.Payload.ToArray())!["code"]!.GetValue<string>()));
        Assert.Equal(connectionsBefore, HubConnections(broker));
    }

    /// <summary>How often the hub has connected to the broker, as the broker's log says.</summary>
    private int HubConnections(Mosquitto broker) => Regex.Count(broker.Output, $@"New client connected from \S+ as {Regex.Escape(fixture.HubClientId)}\b");

    [Fact]
    public async Task ADevicesOwnTopic_CarriesOnlyItsMessages_AndItsRefusalsComeBackOnItsFeedbackTopic()
    {
        var (broker, hub) = Setup();
        var org = HubFixture.Unique("extdev");
        using var admin = await hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (adapterId, _) = await admin.CreateAdapterAsync(org, org + "-adapter", scopes: ReadWrite);
        await admin.RegisterDeviceAsync(adapterId, "nb-1");
        await admin.RegisterDeviceAsync(adapterId, "nb-2");
        // Device credentials may publish only on the device's own topic (the broker enforces what POST /v1/mqtt/auth answers).
        var device = await ConnectAsync(broker.Port, "nb-1-" + org);

        var refused = await NextAsync(device, $"hub/v1/feedback/{adapterId}/nb-1", m => m.ConvertPayloadToString().Contains("auth.device-mismatch", StringComparison.Ordinal));
        await device.PublishAsync(Ingest(adapterId, Methane("m-sibling", "nb-2").ToJsonString(), "nb-1"), TestContext.Current.CancellationToken);
        await refused;
        await device.PublishAsync(Ingest(adapterId, Methane("m-own", "nb-1").ToJsonString(), "nb-1"), TestContext.Current.CancellationToken);
        await WaitUntilAsync(() => hub.QueryAsync(db => db.Messages.AnyAsync(m => m.AdapterId == adapterId && m.MessageId == "m-own")), "the device's own message stored");

        Assert.False(await hub.QueryAsync(db => db.Messages.AnyAsync(m => m.AdapterId == adapterId && m.MessageId == "m-sibling")));
    }

    [Fact]
    public void ExternalMode_WithoutABrokerOrWithABadGroup_RefusesToStart_NamingEverySetting()
    {
        using var hub = new HubFactory(null, new Dictionary<string, string?> { ["Mqtt:Mode"] = "External", ["Mqtt:External:SharedGroup"] = "hub/#" });

        var error = Assert.ThrowsAny<Exception>(hub.StartServer).ToString();

        Assert.Contains("Mqtt:External:Host is required", error, StringComparison.Ordinal);
        Assert.Contains("SharedGroup", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CrashBeforeTheCommit_IsNotAcknowledgedToTheBroker_WhichDeliversAgain_AndItIsStoredOnce()
    {
        if (Mosquitto.Binary is null)
        {
            Assert.Skip("mosquitto is not installed; ./test.sh installs it.");
        }
        await using var broker = await Mosquitto.StartAsync();
        var directory = Directory.CreateTempSubdirectory("ihub-extcrash-").FullName;
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Hub__DataDirectory"] = Path.Combine(directory, "data"),
            ["Bootstrap__ClientId"] = HubFactory.AdminId,
            ["Bootstrap__ClientSecret"] = HubFactory.AdminSecret,
            ["Auth__Issuer"] = "https://hub.test/",
            ["Mqtt__Mode"] = "External",
            ["Mqtt__External__Host"] = "127.0.0.1",
            ["Mqtt__External__Port"] = broker.Port.ToString(CultureInfo.InvariantCulture),
            ["Mqtt__External__ClientId"] = "hub-crash-" + Guid.NewGuid().ToString("N"),
            ["Mqtt__External__ReconnectDelayMs"] = "50",
        };
        const string adapterId = "extcrash-adapter";
        (string Id, string Secret) reader;
        var device = await ConnectAsync(broker.Port, "device-crash");

        await using (var hub = await HubProcess.StartAsync(directory, new Dictionary<string, string>(environment) { ["Faults__HoldIngestCommit"] = "true" }))
        {
            await hub.WaitForLineAsync(ConnectedToBroker(), Timeout);
            using var http = new HttpClient { BaseAddress = hub.BaseAddress };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(http, HubFactory.AdminId, HubFactory.AdminSecret));
            await http.CreateOrganizationAsync("extcrash");
            await http.CreateAdapterAsync("extcrash", adapterId, scopes: ReadWrite);
            await http.RegisterDeviceAsync(adapterId, "ch4-1");
            var (readerId, readerSecret) = await http.CreateAdapterAsync("extcrash", "extcrash-reader", scopes: ["telemetry:read"]);
            reader = (readerId, readerSecret);

            // The device's PUBACK comes from the broker, which now holds the message for the hub.
            var ack = await device.PublishAsync(Ingest(adapterId, Methane("m-crash", "ch4-1").ToJsonString()), TestContext.Current.CancellationToken);
            Assert.Equal(MqttClientPublishReasonCode.Success, ack.ReasonCode);
            await hub.WaitForLineAsync(HoldingCommit(), Timeout);
        } // the crash: killed while the commit is held, before the hub acknowledged to the broker

        await using (var restarted = await HubProcess.StartAsync(directory, environment))
        {
            using var http = new HttpClient { BaseAddress = restarted.BaseAddress };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(http, reader.Id, reader.Secret));
            async Task<JsonArray> HistoryAsync() => (await http.GetJsonAsync("/v1/telemetry/history?device=ch4-1"))["items"]!.AsArray();

            // Nobody publishes it again: the broker delivers it to the same session once the hub is back.
            await WaitUntilAsync(async () => (await HistoryAsync()).Count > 0, "the redelivered message to be stored");
            // The device re-sends it too, then sends a new one; once that is stored, the re-send was judged: a duplicate.
            await device.PublishAsync(Ingest(adapterId, Methane("m-crash", "ch4-1").ToJsonString()), TestContext.Current.CancellationToken);
            await device.PublishAsync(Ingest(adapterId, Methane("m-after", "ch4-1", 1.5).ToJsonString()), TestContext.Current.CancellationToken);
            await WaitUntilAsync(async () => (await HistoryAsync()).Count > 1, "the message after the re-send to be stored");
            Assert.Equal(2, (await HistoryAsync()).Count);
        }
    }

    [GeneratedRegex("Connected to the external MQTT broker")]
    private static partial Regex ConnectedToBroker();

    [GeneratedRegex("Fault point: holding the ingest commit")]
    private static partial Regex HoldingCommit();
}
