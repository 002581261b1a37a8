using System.Globalization;
using IntegrationHub.Bench;

// Usage: dotnet run --project bench/IntegrationHub.Bench -c Release [-- --smoke]
// --smoke runs a few seconds to prove the benchmark works; CI runs it that way and never judges the figures.
var smoke = args.Contains("--smoke");
var benchmark = smoke ? new IngestBenchmark(batches: 10, concurrency: 4, rounds: 1) : new IngestBenchmark(batches: 300, concurrency: 4, rounds: 3);

Console.WriteLine($"HTTP batch ingest, {IngestBenchmark.MessagesPerBatch} messages per batch (one observation each), vs raw SQLite insert of the same rows{(smoke ? " — smoke run, figures not meaningful" : "")}");
var results = await benchmark.RunAsync();
foreach (var (hub, baseline) in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  hub {hub,10:N0} obs/s   raw SQLite {baseline,10:N0} obs/s   ratio {hub / baseline:0.00}"));
}
var ratios = results.Select(r => r.Hub / r.Baseline).Order().ToList();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median ratio {ratios[ratios.Count / 2]:0.00} (target ≥ 0.45; performance.md)"));
