using System.Globalization;
using IntegrationHub.Bench.Suite;

namespace IntegrationHub.Bench.Scenarios;

/// <summary>
/// Ingest → alert on the console: open loop at 1,000 obs/s, where one message in twenty carries a methane reading in
/// the red range (60 %LEL, red from the first sample) for a device that has no alert yet, and the operator's
/// server-sent event stream of alerts (<c>/v1/stream?types=alert</c>, what the console shows) notes when each such
/// message's alert was raised. The other messages stay below every threshold. Latency runs from the scheduled send of
/// the batch; the baseline beside it is the acknowledgement of the same requests.
/// </summary>
internal sealed class AlertLatencyBenchmark : IScenario
{
    private const int Rate = 1_000;
    private const int Every = 20;

    public string Name => "alert-latency";

    public string Title => "Ingest → alert raised on the console's SSE stream at 1k obs/s, 5 % of messages in the red range";

    public async Task RunAsync(BenchRun run)
    {
        var duration = run.Pick(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2));
        var messages = (int)(Rate * duration.TotalSeconds);
        await using var hub = await run.HubAsync(Name, messages / Every + 1);
        var http = hub.Client(128);
        var warmUp = 0;
        await Ingest.PostAllAsync(http, Telemetry.Batches("aw", ref warmUp, 10, Quiet), 4);
        await hub.SettleAsync(run.Pick(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2)));

        await using var console = await SseSubscriber.OpenAsync(hub, hub.OperatorToken, "/v1/stream?types=alert", Arrivals.RaisedBy);
        var sequence = 0;
        var batches = Telemetry.Batches("al", ref sequence, messages / Telemetry.MessagesPerBatch, Crossing);
        var crossing = batches.SelectMany(b => b.MessageIds).Where((_, n) => n % Every == Every - 1).ToHashSet(StringComparer.Ordinal);
        var patience = run.Pick(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(5));
        var load = await OpenLoad.RunAsync(http, batches, Rate, patience);
        var expected = load.Acknowledged.Where(crossing.Contains).ToList();
        var raised = await console.Arrivals.WaitForAsync(expected, patience);
        var latencies = load.DeliveryLatencies(console.Arrivals, crossing);
        var what = $"ingest → alert raised on the console's SSE at {Rate:N0} obs/s";
        var note = raised == expected.Count && load.Acknowledged.Count == load.Scheduled.Count ? null
            : string.Create(CultureInfo.InvariantCulture, $"behind: {raised:N0} of {expected.Count:N0} alerts raised on the stream, {load.Acknowledged.Count:N0} of {load.Scheduled.Count:N0} messages acknowledged; {load.Summary()}");
        run.Add(new Row(Name, what + ", p50", latencies.Percentile(0.5), "ms", "ack p50", load.Acks.Percentile(0.5)));
        run.Add(new Row(Name, what + ", p99", latencies.Percentile(0.99), "ms", "ack p99", load.Acks.Percentile(0.99), Target.AtMost(100, "ms"),
            note ?? string.Create(CultureInfo.InvariantCulture, $"{expected.Count:N0} alerts")));
    }

    /// <summary>Below every methane threshold (blue is 5 %LEL): no alerts.</summary>
    private static (string Device, double Value) Quiet(int sequence) => ("d" + (sequence % BenchHub.Devices).ToString(CultureInfo.InvariantCulture), sequence % 40 / 10.0);

    /// <summary>Quiet, except every twentieth message: 60 %LEL for the next alert device, which raises a red alert at once.</summary>
    private static (string Device, double Value) Crossing(int sequence) =>
        sequence % Every == Every - 1 ? ("a" + (sequence / Every).ToString(CultureInfo.InvariantCulture), 60) : Quiet(sequence);
}
