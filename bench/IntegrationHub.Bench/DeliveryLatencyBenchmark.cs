using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Testing;

namespace IntegrationHub.Bench;

/// <summary>
/// Ingest → webhook receipt latency: a client posts 100-message batches at a steady rate to the hub (its own process),
/// and a webhook receiver on loopback notes when each message's event arrives. The baseline, in the same run, is the
/// ingest acknowledgement itself (post → durable write → answer), the floor no delivery can beat.
/// </summary>
internal sealed class DeliveryLatencyBenchmark(TimeSpan duration)
{
    public sealed record Result(string Mode, int Rate, int Delivered, double P50, double P99, double AckP50, double AckP99);

    public async Task<IReadOnlyList<Result>> RunAsync(IReadOnlyList<(string Mode, int Rate)> scenarios)
    {
        var directory = Directory.CreateTempSubdirectory("ihub-bench-delivery-").FullName;
        await using var hub = await BenchHub.StartAsync(directory, new Dictionary<string, string> { ["Subscriptions__AllowedHosts__0"] = "127.0.0.1" });
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 8 }) { BaseAddress = hub.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await BenchHub.SetUpTenantAsync(http, "telemetry:write", "subscriptions:manage"));

        var results = new List<Result>();
        var sequence = 0;
        foreach (var (mode, rate) in scenarios)
        {
            await using var receiver = await WebhookReceiver.StartAsync();
            var filter = new { types = new[] { "observation" } };
            var subscription = mode == "batched"
                ? (object)new { name = "Bench", channel = "webhook", url = receiver.Url, mode, maxBatch = 100, lanes = 4, filter }
                : new { name = "Bench", channel = "webhook", url = receiver.Url, mode, lanes = 8, filter };
            var created = await http.PostAsJsonAsync("/v1/subscriptions", subscription);
            var id = (await created.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();

            var sent = new Dictionary<string, long>(StringComparer.Ordinal);
            var arrivals = new Arrivals();
            receiver.Answer = arrivals.Note;
            var acks = new List<double>();
            var interval = TimeSpan.FromSeconds((double)BenchHub.MessagesPerBatch / rate);
            var batches = (int)(duration / interval);
            using var timer = new PeriodicTimer(interval);
            var posts = new List<Task>();
            for (var b = 0; b < batches && await timer.WaitForNextTickAsync(); b++)
            {
                var first = sequence;
                var body = BenchHub.Batch(ref sequence);
                var start = Stopwatch.GetTimestamp();
                for (var m = first; m < sequence; m++)
                {
                    sent["m" + m.ToString(CultureInfo.InvariantCulture)] = start;
                }
                posts.Add(PostAsync(http, body, start, acks));
            }
            await Task.WhenAll(posts);
            var arrived = await arrivals.WaitForAsync(sent.Keys, TimeSpan.FromSeconds(120));
            var latencies = arrived.Select(a => Stopwatch.GetElapsedTime(sent[a.Key], a.Value).TotalMilliseconds).Order().ToList();
            acks.Sort();
            results.Add(new Result(mode, rate, latencies.Count, Percentile(latencies, 0.5), Percentile(latencies, 0.99), Percentile(acks, 0.5), Percentile(acks, 0.99)));
            (await http.DeleteAsync(new Uri($"/v1/subscriptions/{id}", UriKind.Relative))).EnsureSuccessStatusCode();
        }
        return results;
    }

    /// <summary>When each message's event first arrived, noted as the receiver answers (so nothing is parsed twice).</summary>
    private sealed class Arrivals
    {
        private readonly Dictionary<string, long> _first = new(StringComparer.Ordinal);
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ReceiverAnswer Note(ReceivedRequest request)
        {
            var node = JsonNode.Parse(request.Body)!;
            var events = node is JsonArray batch ? batch.Select(e => e!["data"]!) : [node];
            TaskCompletionSource changed;
            lock (_first)
            {
                foreach (var data in events)
                {
                    _first.TryAdd(data["messageId"]!.GetValue<string>(), request.ReceivedAt);
                }
                (changed, _changed) = (_changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }
            changed.TrySetResult();
            return ReceiverAnswer.Ok;
        }

        public async Task<Dictionary<string, long>> WaitForAsync(IEnumerable<string> expected, TimeSpan timeout)
        {
            var wanted = expected.ToList();
            using var cancel = new CancellationTokenSource(timeout);
            while (true)
            {
                Task changed;
                lock (_first)
                {
                    // Counting is enough to know when to look; the look checks every id arrived.
                    if (_first.Count >= wanted.Count && wanted.All(_first.ContainsKey))
                    {
                        return wanted.ToDictionary(id => id, id => _first[id], StringComparer.Ordinal);
                    }
                    changed = _changed.Task;
                }
                try
                {
                    await changed.WaitAsync(cancel.Token);
                }
                catch (OperationCanceledException)
                {
                    lock (_first)
                    {
                        throw new TimeoutException($"{wanted.Count(_first.ContainsKey)} of {wanted.Count} events arrived within {timeout}.");
                    }
                }
            }
        }
    }

    private static async Task PostAsync(HttpClient http, byte[] body, long start, List<double> acks)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(new Uri("/v1/telemetry", UriKind.Relative), content);
        response.EnsureSuccessStatusCode();
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        lock (acks)
        {
            acks.Add(elapsed);
        }
    }

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
}
