using System.Diagnostics;
using System.Globalization;
using IntegrationHub.Bench.Suite;
using IntegrationHub.Testing;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IntegrationHub.Bench.Scenarios;

/// <summary>
/// MQTT QoS 1 ingest, in one run: 100 concurrent MQTTnet clients, each publishing the same number of
/// methane messages and awaiting each PUBACK before the next, against (a) the hub's embedded broker with the full
/// pipeline (the PUBACK follows the durable write), (b) mosquitto passing the same publishes to one QoS 1 subscriber,
/// and (c) a bare MQTTnet 5 server doing the same with no hub logic. A broker's rate counts until every publish is
/// acknowledged and, for the pass-through brokers, received by the subscriber.
/// </summary>
internal sealed class MqttBenchmark : IScenario
{
    public const string Topic = "hub/v1/ingest/" + BenchHub.AdapterId;
    private const int Publishers = 100;

    public string Name => "mqtt";

    public string Title => "MQTT QoS 1 ingest from 100 publishers, vs mosquitto pass-through and a bare MQTTnet broker";

    public async Task RunAsync(BenchRun run)
    {
        var each = run.Pick(200, 5);
        var hub = await HubRateAsync(run, each);
        var bare = await BareRateAsync(each);
        var measure = $"msg/s, {Publishers} publishers × {each}, PUBACK awaited";
        if (Mosquitto.Binary is null)
        {
            run.Add(new Row(Name, measure, hub, "msg/s", Note: "mosquitto is not installed (apt-get install mosquitto; ./test.sh installs it): no pass-through baseline"));
            run.Add(new Row(Name, "bare MQTTnet broker, " + measure, bare, "msg/s"));
            return;
        }
        double mosquitto;
        await using (var broker = await Mosquitto.StartAsync())
        {
            mosquitto = await PassThroughRateAsync(broker.Port, each);
        }
        run.Add(new Row(Name, measure, hub, "msg/s", "mosquitto pass-through", mosquitto, Target.RatioAtLeast(0.6)));
        run.Add(new Row(Name, "bare MQTTnet broker, " + measure, bare, "msg/s", "mosquitto pass-through", mosquitto,
            Note: "the broker library's own ceiling for the same load: how much of the gap the broker explains"));
    }

    /// <summary>(a) The hub as its own process: publishes to its embedded broker go through the whole ingest path.</summary>
    private async Task<double> HubRateAsync(BenchRun run, int each)
    {
        await using var hub = await run.HubAsync(Name);
        var sequence = 0;
        await PublishAllAsync(hub.MqttPort, BenchHub.AdapterId, hub.AdapterToken, Payloads(ref sequence, Publishers, 5), null); // warm-up
        return await PublishAllAsync(hub.MqttPort, BenchHub.AdapterId, hub.AdapterToken, Payloads(ref sequence, Publishers, each), null);
    }

    /// <summary>(b) mosquitto: the same publishes, passed through to one QoS 1 subscriber.</summary>
    private static async Task<double> PassThroughRateAsync(int port, int each)
    {
        var sequence = 0;
        await PublishAllAsync(port, null, null, Payloads(ref sequence, Publishers, 5), port);
        return await PublishAllAsync(port, null, null, Payloads(ref sequence, Publishers, each), port);
    }

    /// <summary>(c) A bare MQTTnet 5 server in this process, no interception: MQTTnet's own ceiling for the same load.</summary>
    private static async Task<double> BareRateAsync(int each)
    {
        var port = FreePort.Next();
        using var server = new MqttServerFactory().CreateMqttServer(new MqttServerOptionsBuilder()
            .WithDefaultEndpoint().WithDefaultEndpointBoundIPAddress(System.Net.IPAddress.Loopback).WithDefaultEndpointPort(port)
            .WithMaxPendingMessagesPerClient(1_000_000).Build());
        await server.StartAsync();
        try
        {
            var sequence = 0;
            await PublishAllAsync(port, null, null, Payloads(ref sequence, Publishers, 5), port);
            return await PublishAllAsync(port, null, null, Payloads(ref sequence, Publishers, each), port);
        }
        finally
        {
            await server.StopAsync();
        }
    }

    /// <summary>Pre-serialized methane messages, one observation each, a list per publisher; ids continue from <paramref name="sequence"/>.</summary>
    public static List<byte[]>[] Payloads(ref int sequence, int publishers, int each)
    {
        var time = Telemetry.Time();
        var lists = new List<byte[]>[publishers];
        for (var p = 0; p < publishers; p++)
        {
            lists[p] = new List<byte[]>(each);
            for (var m = 0; m < each; m++, sequence++)
            {
                var (device, value) = Telemetry.Default(sequence);
                lists[p].Add(Telemetry.Message("q" + sequence.ToString(CultureInfo.InvariantCulture), device, value, time));
            }
        }
        return lists;
    }

    /// <summary>
    /// Connects the publishers (and, for a pass-through broker, a subscriber), then publishes everything at QoS 1, each
    /// publisher awaiting its PUBACKs one by one; returns messages per second.
    /// </summary>
    public static async Task<double> PublishAllAsync(int port, string? user, string? password, List<byte[]>[] payloads, int? subscribeOn)
    {
        var total = payloads.Sum(p => p.Count);
        using var subscriber = subscribeOn is { } subscriberPort ? await SubscribeAsync(subscriberPort, total) : null;
        var clients = await Task.WhenAll(payloads.Select(async (_, p) =>
        {
            var client = new MqttClientFactory().CreateMqttClient();
            var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(MqttProtocolVersion.V500)
                .WithClientId($"bench-{p}-{Guid.NewGuid():N}").WithTimeout(TimeSpan.FromSeconds(60));
            if (user is not null)
            {
                options.WithCredentials(user, password);
            }
            await client.ConnectAsync(options.Build());
            return client;
        }));
        try
        {
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select(async (client, p) =>
            {
                foreach (var payload in payloads[p])
                {
                    var ack = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(Topic).WithPayload(payload)
                        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
                    if (ack.ReasonCode != MqttClientPublishReasonCode.Success)
                    {
                        throw new InvalidOperationException($"PUBACK {ack.ReasonCode}: {ack.ReasonString}");
                    }
                }
            }));
            if (subscriber is not null)
            {
                await subscriber.All.WaitAsync(TimeSpan.FromSeconds(120));
            }
            return total / watch.Elapsed.TotalSeconds;
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static async Task<Subscriber> SubscribeAsync(int port, int expected)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var subscriber = new Subscriber(client, expected);
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId("bench-subscriber-" + Guid.NewGuid().ToString("N")).WithReceiveMaximum(65535).Build());
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(Topic, MqttQualityOfServiceLevel.AtLeastOnce).Build());
        return subscriber;
    }

    /// <summary>A QoS 1 subscriber that counts what it receives.</summary>
    private sealed class Subscriber : IDisposable
    {
        private readonly IMqttClient _client;
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _left;

        public Subscriber(IMqttClient client, int expected)
        {
            _client = client;
            _left = expected;
            client.ApplicationMessageReceivedAsync += _ =>
            {
                if (Interlocked.Decrement(ref _left) == 0)
                {
                    _all.TrySetResult();
                }
                return Task.CompletedTask;
            };
        }

        public Task All => _all.Task;

        public void Dispose() => _client.Dispose();
    }
}
