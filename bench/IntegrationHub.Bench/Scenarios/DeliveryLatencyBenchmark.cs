using System.Diagnostics;
using System.Globalization;
using IntegrationHub.Bench.Suite;

namespace IntegrationHub.Bench.Scenarios;

/// <summary>
/// Ingest → subscriber latency, open loop: 100-message batches go out at a fixed rate (1,000 and 10,000 obs/s), and
/// one subscriber (a webhook in binary or batched mode, or a server-sent event stream) notes when each message's event
/// arrives. Latency runs from each batch's scheduled send time; the baseline beside it is the ingest acknowledgement
/// (post → durable write → answer) of the same requests, the floor no delivery can beat. A hub that falls behind is
/// reported by how far: events delivered per second and the backlog when the scenario stopped waiting.
/// </summary>
internal sealed class DeliveryLatencyBenchmark : IScenario
{
    public string Name => "latency";

    public string Title => "Ingest → webhook and → SSE latency, open loop at 1k and 10k obs/s, beside the ingest acknowledgement";

    public async Task RunAsync(BenchRun run)
    {
        var duration = run.Pick(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1));
        var rates = run.Pick<int[]>([1_000, 10_000], [1_000]);
        var channels = run.Pick(Subscribers.Channels, ["webhook batched", "sse"]);
        await using var hub = await run.HubAsync(Name);
        var http = hub.Client(128);
        var sequence = 0;
        await Ingest.PostAllAsync(http, Telemetry.Batches("w", ref sequence, 10), 4); // warm-up
        foreach (var rate in rates)
        {
            foreach (var channel in channels)
            {
                await hub.SettleAsync(run.Pick(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(2)));
                var measured = await MeasureAsync(hub, http, channel, rate, duration, run.Pick(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(5)), ref sequence);
                var target = rate <= 1_000 ? 25 : 50;
                var what = $"ingest → {channel} at {rate:N0} obs/s";
                run.Add(new Row(Name, what + ", p50", measured.Delivery.Percentile(0.5), "ms", "ack p50", measured.Load.Acks.Percentile(0.5)));
                run.Add(new Row(Name, what + ", p99", measured.Delivery.Percentile(0.99), "ms", "ack p99", measured.Load.Acks.Percentile(0.99),
                    channel.StartsWith("webhook", StringComparison.Ordinal) ? Target.AtMost(target, "ms") : null, measured.Note));
                run.Add(new Row(Name, what + ", p99.9", measured.Delivery.Percentile(0.999), "ms", "ack p99.9", measured.Load.Acks.Percentile(0.999)));
            }
        }
    }

    private sealed record Measured(OpenLoad Load, Latencies Delivery, string? Note);

    private static Task<Measured> MeasureAsync(BenchHub hub, HttpClient http, string channel, int rate, TimeSpan duration, TimeSpan patience, ref int sequence)
    {
        var batches = Telemetry.Batches("w", ref sequence, (int)(rate * duration.TotalSeconds / Telemetry.MessagesPerBatch));
        return MeasureAsync(hub, http, channel, rate, batches, patience);
    }

    /// <summary>One run: subscribe, send at the rate, wait up to <paramref name="patience"/> after the last send for answers and events.</summary>
    private static async Task<Measured> MeasureAsync(BenchHub hub, HttpClient http, string channel, int rate, List<OutgoingBatch> batches, TimeSpan patience)
    {
        await using var subscriber = await Subscribers.OpenAsync(hub, channel);
        var load = await OpenLoad.RunAsync(http, batches, rate, patience);
        var waited = Stopwatch.GetElapsedTime(load.Started) - load.Sending;
        var left = patience - waited;
        var delivered = await subscriber.Arrivals.WaitForAsync(load.Acknowledged, left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
        var latencies = load.DeliveryLatencies(subscriber.Arrivals);
        return new Measured(load, latencies, Behind(load, subscriber.Arrivals, delivered, channel));
    }

    /// <summary>How far a run fell behind, or null when every request was acknowledged and every event arrived.</summary>
    internal static string? Behind(OpenLoad load, Arrivals arrivals, int delivered, string channel)
    {
        var acknowledged = load.Acknowledged.Count;
        var sent = load.Scheduled.Count;
        if (acknowledged == sent && delivered == acknowledged)
        {
            return null;
        }
        var span = Stopwatch.GetElapsedTime(load.Started, arrivals.Last > load.Started ? arrivals.Last : Stopwatch.GetTimestamp());
        return string.Create(CultureInfo.InvariantCulture,
            $"behind: {acknowledged:N0} of {sent:N0} messages acknowledged; {delivered:N0} events reached the {channel} subscriber ({delivered / span.TotalSeconds:N0} events/s over {span.TotalSeconds:0.#} s), a backlog of {acknowledged - delivered:N0} when the run stopped waiting; {load.Summary()}");
    }
}
