using System.Globalization;
using IntegrationHub.Bench;

// Usage: dotnet run --project bench/IntegrationHub.Bench -c Release [-- [mqtt] [--smoke]]
// --smoke runs a few seconds to prove the benchmark works; CI runs it that way and never judges the figures.
// mqtt runs only the MQTT benchmark.
var smoke = args.Contains("--smoke");

// MQTT QoS 1 ingest: the hub's embedded broker with the full pipeline, mosquitto's pass-through and a bare MQTTnet server.
const int MqttPublishers = 100;
var mqttEach = smoke ? 5 : 200;
Console.WriteLine($"MQTT QoS 1, {MqttPublishers} concurrent publishers × {mqttEach} messages, each awaiting its PUBACK{(smoke ? " — smoke run, figures not meaningful" : "")}");
var mqtt = await new MqttBenchmark(MqttPublishers, mqttEach).RunAsync();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"  hub (embedded broker, full pipeline) {mqtt.Hub,10:N0} msg/s   mosquitto pass-through {(mqtt.Mosquitto is { } m ? m.ToString("N0", CultureInfo.InvariantCulture) : "skipped"),10} msg/s   bare MQTTnet {mqtt.Bare,10:N0} msg/s"));
if (mqtt.Mosquitto is { } mosquittoRate)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  hub / mosquitto {mqtt.Hub / mosquittoRate:0.00} (target ≥ 0.6; performance.md)   bare MQTTnet / mosquitto {mqtt.Bare / mosquittoRate:0.00}"));
}
if (args.Contains("mqtt"))
{
    return;
}

var benchmark = smoke ? new IngestBenchmark(batches: 10, concurrency: 4, rounds: 1) : new IngestBenchmark(batches: 300, concurrency: 4, rounds: 3);

Console.WriteLine($"HTTP batch ingest, {IngestBenchmark.MessagesPerBatch} messages per batch (one observation each), vs raw SQLite insert of the same rows{(smoke ? " — smoke run, figures not meaningful" : "")}");
var results = await benchmark.RunAsync();
foreach (var (hub, baseline) in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  hub {hub,10:N0} obs/s   raw SQLite {baseline,10:N0} obs/s   ratio {hub / baseline:0.00}"));
}
var ratios = results.Select(r => r.Hub / r.Baseline).Order().ToList();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median ratio {ratios[ratios.Count / 2]:0.00} (target ≥ 0.45; performance.md)"));

// Alert evaluation, per observation, next to the HTTP ingest cost per observation measured above.
var ingestMicros = 1e6 / results.Select(r => r.Hub).Order().ElementAt(results.Count / 2);
var kindsNanos = AlertEvaluationBenchmark.RuleKindsNanoseconds(smoke ? 20_000 : 1_000_000);
// The machine is shared and noisy: three engine passes, and the median.
var engineRates = new List<double>();
for (var round = 0; round < (smoke ? 1 : 3); round++)
{
    engineRates.Add(await AlertEvaluationBenchmark.EngineRateAsync(smoke ? 2_000 : 20_000));
}
var engineRate = engineRates.Order().ElementAt(engineRates.Count / 2);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"alert evaluation: rule kinds {kindsNanos / 1000:0.00} µs/obs in memory; engine pass (read, evaluate, write) {engineRate,10:N0} obs/s = {1e6 / engineRate:0.0} µs/obs, {1e6 / engineRate / ingestMicros:P0} of the HTTP ingest cost per observation ({ingestMicros:0.0} µs)"));

// Ingest → webhook receipt, next to the ingest acknowledgement (the durable write) at the same rate.
var delivery = await new DeliveryLatencyBenchmark(TimeSpan.FromSeconds(smoke ? 1 : 10))
    .RunAsync(smoke ? [("binary", 1000)] : [("binary", 1000), ("batched", 1000), ("binary", 10_000), ("batched", 10_000)]);
foreach (var r in delivery)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"ingest → webhook ({r.Mode,-7} {r.Rate,6:N0} obs/s, {r.Delivered,6:N0} events): p50 {r.P50,6:0.0} ms  p99 {r.P99,6:0.0} ms   ingest ack p50 {r.AckP50,6:0.0} ms  p99 {r.AckP99,6:0.0} ms   p99 ratio {r.P99 / r.AckP99:0.00} (target p99 ≤ {(r.Rate <= 1000 ? 25 : 50)} ms)"));
}
