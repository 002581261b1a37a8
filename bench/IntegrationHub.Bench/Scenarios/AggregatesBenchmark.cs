using System.Diagnostics;
using System.Globalization;
using System.Text;
using IntegrationHub.Bench.Suite;
using Microsoft.Data.Sqlite;

namespace IntegrationHub.Bench.Scenarios;

/// <summary>
/// The console's long trend: <c>GET /v1/telemetry/aggregates</c> over 30 days of one device (a reading every 30 s,
/// 86,400 of them), in hour and day buckets, one query at a time. Measured twice: at once, while the roller has not
/// folded the readings yet and the raw tail answers, and after its next pass, when the rollups do (what a console
/// sees in steady state, and what the target is for). SQLite only: the suite's hub is the embedded one.
/// </summary>
internal sealed class AggregatesBenchmark : IScenario
{
    public string Name => "aggregates";

    public string Title => "Aggregates over 30 days of one device (1h and 1d buckets), from the raw tail and from the rollups";

    public async Task RunAsync(BenchRun run)
    {
        var every = run.Pick(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10));
        var queries = run.Pick(400, 40);
        await using var hub = await run.HubAsync(Name);
        var http = hub.Client(4);
        var end = DateTimeOffset.UtcNow.AddMinutes(-1);
        var from = end.AddDays(-30);
        var readings = (int)((end - from) / every);
        var device = "d" + (BenchHub.Devices - 1).ToString(CultureInfo.InvariantCulture);

        var batches = Enumerable.Range(0, (readings + 999) / 1000).Select(b => Batch(device, from, every, b * 1000, Math.Min(1000, readings - b * 1000))).ToList();
        await Ingest.PostAllAsync(http, batches, 4);
        BenchRun.Say($"{readings:N0} readings of {device} over 30 days stored");

        await MeasureAsync(run, http, device, from, end, queries, "raw tail");
        // The roller folds every Aggregates:RollupInterval (a minute by default); the smoke run does not wait for it.
        if (!run.Smoke)
        {
            var waited = await RolledUpAsync(hub, TimeSpan.FromMinutes(5));
            BenchRun.Say($"the roller folded them {waited.TotalSeconds:F0} s later");
            await MeasureAsync(run, http, device, from, end, queries, "rollups");
        }
    }

    /// <summary>
    /// Waits until the roller's watermark (its cursor in the hub's SQLite file) reaches the last stored observation,
    /// looking twice a second: the rollups then answer the whole range. Returns how long that took.
    /// </summary>
    private static async Task<TimeSpan> RolledUpAsync(BenchHub hub, TimeSpan bound)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            using (var connection = new SqliteConnection($"Data Source={hub.DatabasePath};Mode=ReadOnly"))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = """
                    SELECT COALESCE((SELECT Position FROM consumer_cursors WHERE Name = 'telemetry-rollups'), 0) >= COALESCE((SELECT MAX(Id) FROM observations), 0)
                    """;
                if (Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) == 1)
                {
                    return Stopwatch.GetElapsedTime(started);
                }
            }
            if (Stopwatch.GetElapsedTime(started) > bound)
            {
                throw new TimeoutException($"The roller had not folded the readings after {bound}.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
    }

    private async Task MeasureAsync(BenchRun run, HttpClient http, string device, DateTimeOffset from, DateTimeOffset to, int queries, string source)
    {
        foreach (var bucket in new[] { "1h", "1d" })
        {
            var path = new Uri(string.Create(CultureInfo.InvariantCulture,
                $"/v1/telemetry/aggregates?device={device}&metric=ch4&bucket={bucket}&from={Uri.EscapeDataString(from.ToString("O", CultureInfo.InvariantCulture))}&to={Uri.EscapeDataString(to.ToString("O", CultureInfo.InvariantCulture))}"), UriKind.Relative);
            var latencies = new Latencies();
            for (var i = 0; i < queries + 10; i++)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(path);
                await response.Content.ReadAsByteArrayAsync();
                response.EnsureSuccessStatusCode();
                // The first ten warm the connection and the query plans.
                if (i >= 10)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
            run.Add(new Row(Name, $"30 days of one device, {bucket} buckets, from the {source}, p99", latencies.Percentile(0.99), "ms", "p50", latencies.Percentile(0.5),
                source == "rollups" ? Target.AtMost(50, "ms") : null));
        }
    }

    private static OutgoingBatch Batch(string device, DateTimeOffset from, TimeSpan every, int first, int count)
    {
        var ids = new string[count];
        var body = new StringBuilder("{\"messages\":[");
        for (var i = 0; i < count; i++)
        {
            var n = first + i;
            ids[i] = string.Create(CultureInfo.InvariantCulture, $"agg{n}");
            var time = (from + every * n).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
            body.Append(i == 0 ? "" : ",").Append(Encoding.UTF8.GetString(Telemetry.Message(ids[i], device, n % 97 / 10.0, time)));
        }
        return new OutgoingBatch(Encoding.UTF8.GetBytes(body.Append("]}").ToString()), ids);
    }
}
