using System.Diagnostics;
using IntegrationHub.Bench.Suite;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Alerts.Rules;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Bench.Scenarios;

/// <summary>
/// What rule evaluation costs per observation, with the reference profiles loaded: the alert engine's whole pass over
/// the messages ingest handed over as it committed them (evaluate, write rule memory and alerts, move the cursor) on the
/// hub's SQLite settings, beside the rule kinds alone in memory (the floor); and the pass that reads them back from the
/// database instead, as after a restart. This one runs the engine in process: it is the only scenario that knows the
/// hub's inside, and follows the engine when it moves (the micro-benchmarks time each rule kind on its own).
/// </summary>
internal sealed class AlertEvaluationBenchmark : IScenario
{
    private const int Devices = 100;

    public string Name => "alerts";

    public string Title => "Alert engine pass per observation, vs the rule kinds alone in memory";

    public async Task RunAsync(BenchRun run)
    {
        var kinds = RuleKindsNanoseconds(run.Pick(1_000_000, 20_000)) / 1000;
        // The machine is shared and noisy: three engine passes each way, and the median.
        var handedOver = new List<double>();
        var stored = new List<double>();
        for (var round = 0; round < run.Pick(3, 1); round++)
        {
            handedOver.Add(await EngineRateAsync(run.Pick(20_000, 1_000), handOver: true));
            stored.Add(await EngineRateAsync(run.Pick(20_000, 1_000), handOver: false));
        }
        run.Add(new Row(Name, "engine pass (handed over: evaluate, write), µs per observation", 1e6 / Latencies.Median(handedOver), "µs/obs",
            "rule kinds in memory", kinds, Target.AtMost(10, "µs/obs"),
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"median of {handedOver.Count}: {Latencies.Median(handedOver):N0} obs/s")));
        run.Add(new Row(Name, "engine catch-up from the database (read, evaluate, write), µs per observation", 1e6 / Latencies.Median(stored), "µs/obs",
            "rule kinds in memory", kinds, Note: string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"median of {stored.Count}: {Latencies.Median(stored):N0} obs/s; what a restart or a missed hand-over costs")));
    }

    /// <summary>Nanoseconds per sample through every rule of the methane profile, in memory.</summary>
    private static double RuleKindsNanoseconds(int samples)
    {
        var spec = SpecCatalog.LoadEmbedded();
        var profile = spec.Profiles["gas.underground-methane"];
        var rules = profile.Definition.Rules.Where(r => r.WatchedMetric == "ch4").ToList();
        var memories = Enumerable.Range(0, Devices).Select(_ => rules.Select(_ => new RuleMemory()).ToArray()).ToArray();
        var scope = new RuleScope(profile.DefaultParameters, false);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < samples; i++)
        {
            var device = memories[i % Devices];
            var sample = new Sample(i / Devices * 60_000L, i % 97 / 10.0, null);
            for (var r = 0; r < rules.Count; r++)
            {
                RuleKinds.Default.For(rules[r]).Evaluate(rules[r], device[r], sample, scope);
            }
        }
        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / samples;
    }

    /// <summary>
    /// Observations per second through the alert engine's pass over committed telemetry: handed over by the writes, or
    /// (<paramref name="handOver"/> false) read back from the database. A first twentieth of the messages warms the
    /// engine up (its queries compiled, the devices' memories at hand), as a running hub's engine is; the rest is timed.
    /// </summary>
    private static async Task<double> EngineRateAsync(int messages, bool handOver)
    {
        await using var store = await InProcessStore.CreateAsync("alerts");
        var engine = store.Services.GetRequiredService<AlertEngine>();
        var now = DateTimeOffset.UtcNow;
        var warmUp = messages / 20;
        Write(0, warmUp);
        await engine.ProcessAsync(CancellationToken.None);
        Write(warmUp, messages);
        var start = Stopwatch.GetTimestamp();
        await engine.ProcessAsync(CancellationToken.None);
        return (messages - warmUp) / Stopwatch.GetElapsedTime(start).TotalSeconds;

        void Write(int from, int to)
        {
            for (var first = from; first < to; first += Telemetry.MessagesPerBatch)
            {
                // A minute between a device's readings, ending now.
                store.Write(store.Validate("m", first, Math.Min(Telemetry.MessagesPerBatch, to - first), n => now.AddMinutes(-(messages / Devices) + n / Devices)), handOver);
            }
        }
    }
}
