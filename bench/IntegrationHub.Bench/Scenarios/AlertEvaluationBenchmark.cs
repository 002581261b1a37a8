using System.Diagnostics;
using IntegrationHub.Bench.Suite;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Alerts.Rules;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Bench.Scenarios;

/// <summary>
/// What rule evaluation costs per observation, with the reference profiles loaded: the alert engine's whole pass (read
/// the stored messages, evaluate, write rule memory and alerts, move the cursor) on the hub's SQLite settings, beside
/// the rule kinds alone in memory (the floor). This one runs the engine in process: it is the only scenario that knows
/// the hub's inside, and follows the engine when it moves (the micro-benchmarks time each rule kind on its own).
/// </summary>
internal sealed class AlertEvaluationBenchmark : IScenario
{
    private const int Devices = 100;

    public string Name => "alerts";

    public string Title => "Alert engine pass per observation, vs the rule kinds alone in memory";

    public async Task RunAsync(BenchRun run)
    {
        var kinds = RuleKindsNanoseconds(run.Pick(1_000_000, 20_000)) / 1000;
        // The machine is shared and noisy: three engine passes, and the median.
        var rates = new List<double>();
        for (var round = 0; round < run.Pick(3, 1); round++)
        {
            rates.Add(await EngineRateAsync(run.Pick(20_000, 1_000)));
        }
        run.Add(new Row(Name, "engine pass (read, evaluate, write), µs per observation", 1e6 / Latencies.Median(rates), "µs/obs",
            "rule kinds in memory", kinds, Target.AtMost(10, "µs/obs"),
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"median of {rates.Count}: {Latencies.Median(rates):N0} obs/s")));
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

    /// <summary>Observations per second through the alert engine's pass over stored telemetry.</summary>
    private static async Task<double> EngineRateAsync(int messages)
    {
        await using var store = await InProcessStore.CreateAsync("alerts");
        var now = DateTimeOffset.UtcNow;
        for (var first = 0; first < messages; first += Telemetry.MessagesPerBatch)
        {
            // A minute between a device's readings, ending now.
            await store.WriteAsync(store.Validate("m", first, Telemetry.MessagesPerBatch, n => now.AddMinutes(-(messages / Devices) + n / Devices)));
        }
        var engine = store.Services.GetRequiredService<AlertEngine>();
        var start = Stopwatch.GetTimestamp();
        await engine.ProcessAsync(CancellationToken.None);
        return messages / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
