using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using IntegrationHub.Bench.Suite;
using IntegrationHub.Testing;

namespace IntegrationHub.Bench.Scenarios;

/// <summary>
/// The upstream gateway's cost: the same 100-message telemetry batch POST, sent direct to <c>/v1/telemetry</c> and
/// through a route of the gateway whose upstream is the hub itself (<c>/upstream/{system}/v1/telemetry</c>: the caller's
/// token checked against the route, swapped for the upstream's credential, the call audited and counted), in the same
/// run against the same hub. Throughput closed loop over 4 connections, rounds alternating direct and proxied. Then the
/// latency the gateway adds at p50 under light load, one request at a time, direct and proxied alternating: into the
/// hub's own ingest, where a commit's fsync of tens of milliseconds hides a fraction of a millisecond either way; and to a
/// department system that answers at once (a loopback receiver), which leaves the gateway's own cost standing alone.
/// </summary>
internal sealed class ProxyBenchmark : IScenario
{
    private const int Connections = 4;
    private const string System = "bench-self";
    private static readonly string[] Post = ["POST"];
    private static readonly string[] Bench = ["bench"];

    public string Name => "proxy";

    public string Title => "A batch POST through the upstream gateway (/upstream/…) vs the same POST direct";

    public async Task RunAsync(BenchRun run)
    {
        var (batches, rounds, sequential) = run.Pick((300, 3, 400), (10, 1, 20));
        await using var hub = await run.HubAsync(Name);
        var proxied = await OpenRouteAsync(hub);
        var direct = hub.Client(Connections);
        var through = hub.Client(Connections, token: proxied.Token);
        var sequence = 0;
        // Warm-up: JIT, connections, caches and the upstream's own connection pool, on both paths.
        await Ingest.PostAllAsync(direct, Telemetry.Batches("p", ref sequence, 10), Connections);
        await Ingest.PostAllAsync(through, Telemetry.Batches("p", ref sequence, 10), Connections, proxied.Path);

        var directRates = new List<double>();
        var proxiedRates = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            directRates.Add(await Ingest.PostAllAsync(direct, Telemetry.Batches("p", ref sequence, batches), Connections));
            proxiedRates.Add(await Ingest.PostAllAsync(through, Telemetry.Batches("p", ref sequence, batches), Connections, proxied.Path));
        }
        await hub.SettleAsync(run.Pick(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(2)));

        // Light load: one request in flight at a time, each path on a connection of its own, alternating, so that both see the same moments of the machine.
        var single = hub.Client(1);
        var singleThrough = hub.Client(1, token: proxied.Token);
        var directTimes = new Latencies();
        var proxiedTimes = new Latencies();
        for (var i = 0; i < sequential; i++)
        {
            directTimes.Add(await TimeAsync(single, Telemetry.Batch("p", ref sequence), Ingest.Path));
            proxiedTimes.Add(await TimeAsync(singleThrough, Telemetry.Batch("p", ref sequence), proxied.Path));
        }

        static string Rates(List<double> rates) => string.Join(" / ", rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)));
        run.Add(new Row(Name, $"obs/s through the gateway, {Telemetry.MessagesPerBatch}-message batches, {Connections} connections", Latencies.Median(proxiedRates), "obs/s",
            "the same POST direct", Latencies.Median(directRates), Target.RatioAtLeast(0.6),
            $"medians of {rounds} rounds; proxied {Rates(proxiedRates)}, direct {Rates(directRates)} obs/s"));
        var (proxiedP50, directP50) = (proxiedTimes.Percentile(0.5), directTimes.Percentile(0.5));
        run.Add(new Row(Name, "answer time through the gateway, one request at a time, p50", proxiedP50, "ms", "direct p50", directP50));
        run.Add(new Row(Name, "answer time through the gateway, one request at a time, p99", proxiedTimes.Percentile(0.99), "ms", "direct p99", directTimes.Percentile(0.99)));
        run.Add(new Row(Name, "added by the gateway at p50, one request at a time, into the hub's ingest", proxiedP50 - directP50, "ms",
            Note: string.Create(CultureInfo.InvariantCulture, $"{sequential} requests each way, alternating; proxied p50 {proxiedP50:0.00} ms − direct p50 {directP50:0.00} ms")));

        // The same POST to a department system that answers at once, direct and through its route, alternating.
        await using var department = await WebhookReceiver.StartAsync();
        department.Answer = _ => Accepted;
        var quietPath = await OpenDepartmentRouteAsync(hub, department);
        using var toDepartment = new HttpClient { BaseAddress = new Uri(department.Url.GetLeftPart(UriPartial.Authority)) };
        for (var i = 0; i < 20; i++)
        {
            await TimeAnsweredAsync(toDepartment, Telemetry.Batch("p", ref sequence), Ingest.Path);
            await TimeAnsweredAsync(singleThrough, Telemetry.Batch("p", ref sequence), quietPath);
        }
        var quietDirect = new Latencies();
        var quietProxied = new Latencies();
        for (var i = 0; i < sequential; i++)
        {
            quietDirect.Add(await TimeAnsweredAsync(toDepartment, Telemetry.Batch("p", ref sequence), Ingest.Path));
            quietProxied.Add(await TimeAnsweredAsync(singleThrough, Telemetry.Batch("p", ref sequence), quietPath));
        }
        var (quietProxiedP50, quietDirectP50) = (quietProxied.Percentile(0.5), quietDirect.Percentile(0.5));
        run.Add(new Row(Name, "answer time from a department system that answers at once, through the gateway, p50", quietProxiedP50, "ms", "direct p50", quietDirectP50));
        run.Add(new Row(Name, "answer time from a department system that answers at once, through the gateway, p99", quietProxied.Percentile(0.99), "ms", "direct p99", quietDirect.Percentile(0.99)));
        run.Add(new Row(Name, "added by the gateway at p50, one request at a time", quietProxiedP50 - quietDirectP50, "ms", Target: Target.AtMost(0.5, "ms"),
            Note: string.Create(CultureInfo.InvariantCulture, $"{sequential} requests each way to a loopback system that answers at once, alternating; proxied p50 {quietProxiedP50:0.000} ms − direct p50 {quietDirectP50:0.000} ms")));
    }

    internal static readonly ReceiverAnswer Accepted = new(200) { Body = "{\"status\":\"accepted\"}" };

    /// <summary>A department's system on loopback, reached through its own route for the same POST, with a static key as its credential.</summary>
    internal static Task<string> OpenDepartmentRouteAsync(BenchHub hub, WebhookReceiver department) =>
        OpenSystemAsync(hub, "bench-department", "A department system that answers at once", department.Url,
            new { kind = "header", header = "X-Api-Key", value = "bench-department-key" });

    private sealed record Route(string Token, string Path);

    /// <summary>
    /// A caller of the bench organization allowed to call routes, and the system: the hub itself, whose credential is the
    /// bench adapter's token (so a proxied batch is ingested as the direct one is).
    /// </summary>
    private static async Task<Route> OpenRouteAsync(BenchHub hub)
    {
        var caller = await hub.AdapterAsync("bench-proxy-caller", "upstreams:call");
        var path = await OpenSystemAsync(hub, System, "The hub itself", hub.BaseAddress,
            new { kind = "header", header = "Authorization", value = "Bearer " + hub.AdapterToken });
        return new Route(caller, path);
    }

    /// <summary>Registers a system with a route for POSTs to <c>/v1/telemetry</c> whose rate limit stays out of the way; returns the route's path.</summary>
    private static async Task<string> OpenSystemAsync(BenchHub hub, string system, string name, Uri address, object credentials)
    {
        var admin = hub.Client(1, token: hub.OperatorToken);
        (await admin.PostAsJsonAsync("/v1/upstreams", new { id = system, name, baseAddress = address.GetLeftPart(UriPartial.Authority), credentials })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync($"/v1/upstreams/{system}/routes", new
        {
            id = "telemetry",
            pathPrefix = Ingest.Path,
            methods = Post,
            organizations = Bench,
            requestsPerMinute = 1_000_000,
        })).EnsureSuccessStatusCode();
        return $"/upstream/{system}{Ingest.Path}";
    }

    private static async Task<double> TimeAsync(HttpClient http, OutgoingBatch batch, string path)
    {
        var started = Stopwatch.GetTimestamp();
        var answer = await Ingest.PostAsync(http, batch, path);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (answer.Status != 200 || answer.Acknowledged.Length != batch.MessageIds.Length)
        {
            throw new InvalidOperationException($"POST {path}: the hub answered {answer.Status} and acknowledged {answer.Acknowledged.Length} of {batch.MessageIds.Length} messages.");
        }
        return elapsed;
    }

    /// <summary>The answer time of a POST of the batch's body to a system that is not the hub: any 2xx, with its body read.</summary>
    internal static async Task<double> TimeAnsweredAsync(HttpClient http, OutgoingBatch batch, string path)
    {
        var started = Stopwatch.GetTimestamp();
        using var content = new ByteArrayContent(batch.Body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content);
        await response.Content.ReadAsByteArrayAsync();
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST {path}: the answer was {(int)response.StatusCode}.");
        }
        return elapsed;
    }
}
