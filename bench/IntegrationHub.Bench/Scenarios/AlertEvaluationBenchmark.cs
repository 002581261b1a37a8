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
        // One round each way that is not counted: the engine's code is still being recompiled by the tiered JIT through
        // the first pass or two, and with the median of three taken while that is under way one run measured the
        // catch-up at twice the next one's cost, with no change to the hub between them.
        if (!run.Smoke)
        {
            await EngineRateAsync(20_000, handOver: true);
            await EngineRateAsync(20_000, handOver: false);
        }
        // The machine is shared and noisy: three engine passes each way, and the median.
        var handedOver = new List<Pass>();
        var stored = new List<Pass>();
        for (var round = 0; round < run.Pick(3, 1); round++)
        {
            handedOver.Add(await EngineRateAsync(run.Pick(20_000, 1_000), handOver: true));
            stored.Add(await EngineRateAsync(run.Pick(20_000, 1_000), handOver: false));
        }
        run.Add(new Row(Name, "engine pass (handed over: evaluate, write), µs per observation", 1e6 / Latencies.Median(handedOver.Select(p => p.Rate)), "µs/obs",
            "rule kinds in memory", kinds, Target.AtMost(10, "µs/obs"), Describe(handedOver, "")));
        run.Add(new Row(Name, "engine catch-up from the database (read, evaluate, write), µs per observation", 1e6 / Latencies.Median(stored.Select(p => p.Rate)), "µs/obs",
            "rule kinds in memory", kinds, Note: Describe(stored, "; what a restart or a missed hand-over costs")));
    }

    /// <summary>One timed pass: observations per second, and the process's CPU time per observation meanwhile.</summary>
    private readonly record struct Pass(double Rate, double CpuMicroseconds);

    // The CPU time beside the rate: on a shared machine the wall time moves with the other work, the CPU time far less.
    private static string Describe(List<Pass> passes, string more) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"median of {passes.Count}: {Latencies.Median(passes.Select(p => p.Rate)):N0} obs/s, process CPU {Latencies.Median(passes.Select(p => p.CpuMicroseconds)):N2} µs/obs (rounds {string.Join(" / ", passes.Select(p => p.CpuMicroseconds.ToString("N2", System.Globalization.CultureInfo.InvariantCulture)))}){more}");

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
    private static async Task<Pass> EngineRateAsync(int messages, bool handOver)
    {
        await using var store = await InProcessStore.CreateAsync("alerts");
        var engine = store.Services.GetRequiredService<AlertEngine>();
        var now = DateTimeOffset.UtcNow;
        var warmUp = messages / 20;
        Write(0, warmUp);
        await engine.ProcessAsync(CancellationToken.None);
        Write(warmUp, messages);
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var start = Stopwatch.GetTimestamp();
        await engine.ProcessAsync(CancellationToken.None);
        var elapsed = Stopwatch.GetElapsedTime(start);
        process.Refresh();
        return new Pass((messages - warmUp) / elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalMicroseconds / (messages - warmUp));

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
