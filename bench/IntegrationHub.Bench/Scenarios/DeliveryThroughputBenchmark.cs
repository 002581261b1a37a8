using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using IntegrationHub.Bench.Suite;

namespace IntegrationHub.Bench.Scenarios;

/// <summary>
/// Delivery throughput: how many events per second one subscriber drains. A backlog of observation events is loaded
/// first; then one subscriber (a webhook in binary or batched mode, or a server-sent event stream) starts from the
/// backlog's beginning, and the rate is events over the time until the last arrived. For webhooks the baseline, in the
/// same run, is the receiver itself: the same request bodies posted straight to it over as many connections as the
/// subscription has lanes, which is what this machine can do with the hub out of the way.
/// </summary>
internal sealed class DeliveryThroughputBenchmark : IScenario
{
    public string Name => "delivery";

    public string Title => "Events per second one subscriber drains from a backlog: webhook binary, webhook batched, SSE";

    public async Task RunAsync(BenchRun run)
    {
        var backlog = run.Pick(20_000, 500);
        var patience = run.Pick(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(5));
        await using var hub = await run.HubAsync(Name);
        var from = DateTimeOffset.UtcNow.AddSeconds(-1);
        var sequence = 0;
        var batches = Telemetry.Batches("t", ref sequence, backlog / Telemetry.MessagesPerBatch);
        var ids = batches.SelectMany(b => b.MessageIds).ToList();
        await Ingest.PostAllAsync(hub.Client(4), batches, 4);
        foreach (var channel in Subscribers.Channels)
        {
            await hub.SettleAsync(run.Pick(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(2)));
            await using var subscriber = await Subscribers.OpenAsync(hub, channel, from);
            var start = Stopwatch.GetTimestamp();
            var delivered = await subscriber.Arrivals.WaitForAsync(ids, patience);
            var seconds = Stopwatch.GetElapsedTime(start, delivered == ids.Count ? subscriber.Arrivals.Last : Stopwatch.GetTimestamp()).TotalSeconds;
            var note = delivered == ids.Count ? null
                : string.Create(CultureInfo.InvariantCulture, $"behind: {delivered:N0} of {ids.Count:N0} events arrived within {patience.TotalSeconds:0} s");
            var what = $"{channel}, events/s draining a backlog of {ids.Count:N0}";
            var target = channel == "webhook batched" ? Target.AtLeast(10_000, "events/s") : null;
            if (subscriber is WebhookSubscriber webhook)
            {
                run.Add(new Row(Name, what, delivered / seconds, "events/s", "bare POSTs to the receiver", await ReplayAsync(webhook), target, note));
            }
            else
            {
                run.Add(new Row(Name, what, delivered / seconds, "events/s", Target: target, Note: note));
            }
        }
    }

    /// <summary>Posts the bodies the receiver got straight back to it, over as many connections as the subscription has lanes; returns events per second.</summary>
    private static async Task<double> ReplayAsync(WebhookSubscriber webhook)
    {
        var bodies = webhook.Receiver.Deliveries.Select(d => (d.Body, d.ContentType ?? "application/json", Events: Count(d.Body))).ToList();
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = webhook.Lanes });
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, webhook.Lanes).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < bodies.Count)
            {
                using var content = new ByteArrayContent(bodies[index].Body);
                content.Headers.ContentType = MediaTypeHeaderValue.Parse(bodies[index].Item2);
                using var response = await client.PostAsync(webhook.Receiver.Url, content);
                response.EnsureSuccessStatusCode();
            }
        }));
        return bodies.Sum(b => b.Events) / watch.Elapsed.TotalSeconds;

        static int Count(byte[] body)
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Array ? document.RootElement.GetArrayLength() : 1;
        }
    }
}
