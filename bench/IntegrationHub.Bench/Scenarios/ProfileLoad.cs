using System.Diagnostics;
using System.Globalization;
using IntegrationHub.Bench.Suite;
using IntegrationHub.Testing;

namespace IntegrationHub.Bench.Scenarios;

/// <summary>
/// Load for a profiler: a hub (with one batched webhook subscriber, as in <c>http</c>) under closed-loop HTTP ingest
/// from 8 connections, or MQTT QoS 1 from 100 publishers, for a while. It prints the hub's process id, and with
/// <c>--trace</c> runs <c>dotnet-trace</c> on it once the load is warm, writing a <c>.nettrace</c> and a speedscope file.
/// <c>proxy</c> sends one batch POST at a time through the upstream gateway to a loopback system that answers at once,
/// which leaves the gateway's own cost per call.
/// </summary>
internal static class ProfileLoad
{
    private const int Connections = 8;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(string transport, TimeSpan duration, string? dotnetTrace, string output)
    {
        if (transport is not ("http" or "mqtt" or "proxy"))
        {
            throw new ArgumentException($"Profile http, mqtt or proxy, not '{transport}'.", nameof(transport));
        }
        await using var hub = await BenchHub.StartAsync("profile");
        await using var subscriber = await Subscribers.OpenAsync(hub, "webhook batched");
        var pid = hub.ServerProcessId();
        Console.WriteLine($"hub pid {pid?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}; {transport} load for {duration.TotalSeconds:0} s");
        var trace = dotnetTrace is null || pid is null ? Task.CompletedTask : TraceAsync(dotnetTrace, pid.Value, duration - WarmUp - TimeSpan.FromSeconds(2), Path.Combine(output, $"profile-{transport}"));
        if (dotnetTrace is null)
        {
            Console.WriteLine($"  e.g. dotnet-trace collect -p {pid} --profile dotnet-sampled-thread-time --duration 00:00:00:15 --format Speedscope");
        }
        var watch = Stopwatch.StartNew();
        var messages = transport switch
        {
            "http" => await HttpAsync(hub, duration),
            "proxy" => await ProxyAsync(hub, duration),
            _ => await MqttAsync(hub, duration),
        };
        Console.WriteLine($"  {messages / watch.Elapsed.TotalSeconds:N0} msg/s during the load");
        await trace;
    }

    private static async Task<long> HttpAsync(BenchHub hub, TimeSpan duration)
    {
        var http = hub.Client(Connections);
        var watch = Stopwatch.StartNew();
        var sent = 0L;
        await Task.WhenAll(Enumerable.Range(0, Connections).Select(async connection =>
        {
            var sequence = 0;
            while (watch.Elapsed < duration)
            {
                var batch = Telemetry.Batch($"p{connection}-", ref sequence);
                await Ingest.PostAsync(http, batch);
                Interlocked.Add(ref sent, batch.MessageIds.Length);
            }
        }));
        return sent;
    }

    private static async Task<long> ProxyAsync(BenchHub hub, TimeSpan duration)
    {
        await using var department = await WebhookReceiver.StartAsync();
        department.Answer = _ => ProxyBenchmark.Accepted;
        var path = await ProxyBenchmark.OpenDepartmentRouteAsync(hub, department);
        var through = hub.Client(1, token: await hub.AdapterAsync("bench-proxy-caller", "upstreams:call"));
        var watch = Stopwatch.StartNew();
        var (sent, sequence) = (0L, 0);
        while (watch.Elapsed < duration)
        {
            await ProxyBenchmark.TimeAnsweredAsync(through, Telemetry.Batch("p", ref sequence), path);
            sent++;
        }
        return sent;
    }

    /// <summary>Publishers each publish about what today's hub takes in the time given (the run ends when they are done).</summary>
    private static async Task<long> MqttAsync(BenchHub hub, TimeSpan duration)
    {
        var sequence = 0;
        var payloads = MqttBenchmark.Payloads(ref sequence, 100, (int)(duration.TotalSeconds * 30));
        await MqttBenchmark.PublishAllAsync(hub.MqttPort, BenchHub.AdapterId, hub.AdapterToken, payloads, null);
        return sequence;
    }

    private static async Task TraceAsync(string dotnetTrace, int pid, TimeSpan length, string output)
    {
        await Task.Delay(WarmUp);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        var result = await ToolProcess.RunAsync(dotnetTrace,
            ["collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "--profile", "dotnet-sampled-thread-time", "--duration", length.ToString(@"dd\:hh\:mm\:ss", CultureInfo.InvariantCulture), "-o", output + ".nettrace", "--format", "Speedscope"],
            length + TimeSpan.FromMinutes(2));
        Console.WriteLine($"  dotnet-trace: {result}");
    }
}
