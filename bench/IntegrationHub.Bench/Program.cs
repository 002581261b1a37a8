using System.Globalization;
using IntegrationHub.Bench.Micro;
using IntegrationHub.Bench.Scenarios;
using IntegrationHub.Bench.Suite;
using IntegrationHub.Testing;

// dotnet run --project bench/IntegrationHub.Bench -c Release -- [scenario…] [--smoke] [--out DIR]
//   runs the scenarios (all of them without names) and writes the table as Markdown and JSON into DIR (bench/results).
//   --smoke: a few seconds per scenario, to prove the suite still works; CI runs it and never judges the figures.
// … -- micro [BenchmarkDotNet arguments]     the micro-benchmarks (e.g. --filter *Rule*); with --smoke a dry job
// … -- profile http|mqtt|proxy [--seconds N] [--trace PATH-TO-dotnet-trace]   load for a profiler; prints the hub's pid
// … -- list                                  the scenarios
IScenario[] scenarios =
[
    new IngestBenchmark(),
    new MqttBenchmark(),
    new AlertEvaluationBenchmark(),
    new DeliveryLatencyBenchmark(),
    new DeliveryThroughputBenchmark(),
    new AlertLatencyBenchmark(),
    new OverloadBenchmark(),
    new MemoryBenchmark(),
    new ProxyBenchmark(),
    new AggregatesBenchmark(),
];

var smoke = args.Contains("--smoke");
var output = Option("--out") ?? Path.Combine(Repository.Root, "bench", "results");
var words = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || args[i - 1] is not ("--out" or "--seconds" or "--trace"))).ToList();

switch (words.FirstOrDefault())
{
    case "micro":
        var rest = args.SkipWhile(a => a != "micro").Skip(1).ToList();
        rest.Remove("--smoke");
        if (rest.IndexOf("--out") is var at and >= 0)
        {
            rest.RemoveRange(at, Math.Min(2, rest.Count - at));
        }
        MicroBenchmarks.Run([.. rest], smoke, output);
        return 0;
    case "profile":
        await ProfileLoad.RunAsync(words.ElementAtOrDefault(1) ?? "http", TimeSpan.FromSeconds(int.Parse(Option("--seconds") ?? "30", CultureInfo.InvariantCulture)), Option("--trace"), output);
        return 0;
    case "list":
        foreach (var scenario in scenarios)
        {
            Console.WriteLine($"{scenario.Name,-14} {scenario.Title}");
        }
        return 0;
}

var unknown = words.Where(w => scenarios.All(s => s.Name != w)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"No scenario {string.Join(", ", unknown)}; the scenarios are {string.Join(", ", scenarios.Select(s => s.Name))} (or micro, profile, list).");
    return 2;
}

var report = new Report(smoke);
await using var run = new BenchRun(smoke, report);
var failed = false;
foreach (var scenario in scenarios.Where(s => words.Count == 0 || words.Contains(s.Name)))
{
    Console.WriteLine($"{scenario.Name}: {scenario.Title}{(smoke ? " — smoke run, figures not meaningful" : "")}");
    var watch = System.Diagnostics.Stopwatch.StartNew();
    try
    {
        await scenario.RunAsync(run);
    }
#pragma warning disable CA1031 // A scenario that fails is reported in the table, and the others still run.
    catch (Exception e)
#pragma warning restore CA1031
    {
        failed = true;
        run.Add(new Row(scenario.Name, "failed", double.NaN, "", Note: $"{e.GetType().Name}: {e.Message}"));
    }
    Console.WriteLine($"  ({watch.Elapsed.TotalSeconds:0} s)");
}
Console.WriteLine();
Console.WriteLine(report.Markdown());
Console.WriteLine($"Written to {report.Write(output)} and .json");
return failed ? 1 : 0;

string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
