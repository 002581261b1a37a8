using System.Globalization;
using IntegrationHub.Bench.Suite;

namespace IntegrationHub.Bench.Scenarios;

/// <summary>
/// The hub's memory and runtime at 10,000 obs/s (open loop, one batched webhook subscriber attached), read from its
/// <c>/metrics</c>: the resident set at the end of the load and at its peak (beside the idle hub's, the baseline), GC
/// collections per generation, and bytes allocated and CPU time per accepted message (the hub's own count, which also
/// holds requests the client gave up waiting for) over the load and the work it left behind (alert evaluation,
/// deliveries) until the hub settles.
/// </summary>
internal sealed class MemoryBenchmark : IScenario
{
    private const int Rate = 10_000;
    private const double Megabyte = 1024 * 1024;

    public string Name => "memory";

    public string Title => "Resident set, GC collections, allocations and CPU per message at 10k obs/s";

    public async Task RunAsync(BenchRun run)
    {
        var duration = run.Pick(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(1));
        var patience = run.Pick(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(5));
        await using var hub = await run.HubAsync(Name);
        await using var subscriber = await Subscribers.OpenAsync(hub, "webhook batched");
        var sequence = 0;
        await Ingest.PostAllAsync(hub.Client(4), Telemetry.Batches("r", ref sequence, 10), 4); // warm-up
        await hub.SettleAsync(run.Pick(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2)));
        var idle = await hub.MetricsAsync();

        var batches = Telemetry.Batches("r", ref sequence, (int)(Rate * duration.TotalSeconds / Telemetry.MessagesPerBatch));
        using var sampling = new CancellationTokenSource();
        var peak = SamplePeakAsync(hub, sampling.Token);
        var load = await OpenLoad.RunAsync(hub.Client(128), batches, Rate, patience);
        var atEnd = await hub.MetricsAsync();
        await sampling.CancelAsync();
        var peakBytes = Math.Max(await peak, atEnd.WorkingSetBytes);
        await hub.SettleAsync(run.Pick(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(3)));
        var settled = await hub.MetricsAsync();

        // The hub's own count; what the client saw acknowledged if the hub stops exporting it; none leaves nothing to divide by.
        var accepted = settled.AcceptedMessages - idle.AcceptedMessages is > 0 and var counted ? counted : load.Acknowledged.Count;
        var messages = accepted > 0 ? accepted : double.NaN;
        var window = string.Create(CultureInfo.InvariantCulture, $"from the start of the load until the hub settled: {accepted:N0} messages accepted of {load.Scheduled.Count:N0} sent in {duration.TotalSeconds:0} s");
        run.Add(new Row(Name, $"resident set at the end of {duration.TotalSeconds:0} s at {Rate:N0} obs/s", atEnd.WorkingSetBytes / Megabyte, "MB",
            "idle hub", idle.WorkingSetBytes / Megabyte, Target.AtMost(400, "MB"), DeliveryLatencyBenchmark.Behind(load, subscriber.Arrivals, subscriber.Arrivals.CountOf(load.Acknowledged), "webhook batched")));
        run.Add(new Row(Name, "resident set, peak during the load", peakBytes / Megabyte, "MB", "idle hub", idle.WorkingSetBytes / Megabyte));
        run.Add(new Row(Name, "GC collections gen0", settled.Gen0 - idle.Gen0, "", Note: window));
        run.Add(new Row(Name, "GC collections gen1", settled.Gen1 - idle.Gen1, ""));
        run.Add(new Row(Name, "GC collections gen2", settled.Gen2 - idle.Gen2, ""));
        run.Add(new Row(Name, "bytes allocated per message", (settled.AllocatedBytes - idle.AllocatedBytes) / messages, "bytes/msg"));
        run.Add(new Row(Name, "hub CPU time per message", (settled.CpuSeconds - idle.CpuSeconds) * 1e6 / messages, "µs/msg"));
    }

    /// <summary>The highest resident set seen, reading <c>/metrics</c> every half second until cancelled.</summary>
    private static async Task<double> SamplePeakAsync(BenchHub hub, CancellationToken cancellationToken)
    {
        var peak = 0.0;
        try
        {
            while (true)
            {
                peak = Math.Max(peak, (await hub.MetricsAsync()).WorkingSetBytes);
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            return peak;
        }
    }
}
