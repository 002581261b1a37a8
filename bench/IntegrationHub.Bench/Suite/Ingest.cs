using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace IntegrationHub.Bench.Suite;

/// <summary>The hub's answer to one batch: its status, whether a refusal said when to retry, and the message ids it acknowledged.</summary>
internal sealed record IngestAnswer(int Status, bool RetryAfter, string[] Acknowledged);

/// <summary>
/// Sending telemetry as an adapter does: <c>POST /v1/telemetry</c>, closed loop (each connection sends its next batch
/// when the last is answered: throughput) or open loop (<see cref="OpenLoad"/>: latency at a fixed rate).
/// </summary>
internal static class Ingest
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    /// <summary>Where adapters post telemetry.</summary>
    public const string Path = "/v1/telemetry";

    /// <summary>Posts a batch; a message counts as acknowledged when its result is <c>accepted</c> or <c>duplicate</c> (stored once).</summary>
    public static Task<IngestAnswer> PostAsync(HttpClient http, OutgoingBatch batch, CancellationToken cancellationToken = default) =>
        PostAsync(http, batch, Path, cancellationToken);

    /// <summary>Posts a batch to <paramref name="path"/>: the hub's own, or a route of its upstream gateway that leads there.</summary>
    public static async Task<IngestAnswer> PostAsync(HttpClient http, OutgoingBatch batch, string path, CancellationToken cancellationToken = default)
    {
        using var content = new ByteArrayContent(batch.Body);
        content.Headers.ContentType = Json;
        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return new IngestAnswer((int)response.StatusCode, response.Headers.RetryAfter is not null, []);
        }
        using var answer = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), default, cancellationToken);
        var acknowledged = new List<string>(batch.MessageIds.Length);
        foreach (var result in answer.RootElement.GetProperty("results").EnumerateArray())
        {
            if (result.GetProperty("status").GetString() is "accepted" or "duplicate")
            {
                acknowledged.Add(result.GetProperty("messageId").GetString()!);
            }
        }
        return new IngestAnswer((int)response.StatusCode, false, [.. acknowledged]);
    }

    /// <summary>
    /// Closed loop: posts every batch over <paramref name="connections"/> connections, each sending its next batch when
    /// the last is answered; returns messages per second. Every message must be accepted.
    /// </summary>
    public static async Task<double> PostAllAsync(HttpClient http, IReadOnlyList<OutgoingBatch> batches, int connections, string path = Path)
    {
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < batches.Count)
            {
                var answer = await PostAsync(http, batches[index], path);
                if (answer.Status != 200 || answer.Acknowledged.Length != batches[index].MessageIds.Length)
                {
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                        $"The hub answered {answer.Status} and acknowledged {answer.Acknowledged.Length} of {batches[index].MessageIds.Length} messages."));
                }
            }
        }));
        return batches.Sum(b => b.MessageIds.Length) / watch.Elapsed.TotalSeconds;
    }
}
