using System.Globalization;
using IntegrationHub.Bench.Suite;
using Microsoft.Data.Sqlite;

namespace IntegrationHub.Bench.Scenarios;

/// <summary>
/// Overload: the hub's HTTP ingest capacity is measured first (closed loop, as in <c>http</c>), then an open-loop load
/// of twice that is sent for 30 s. A hub that stays bounded answers within a bounded time, refusing what it cannot take
/// (503 with Retry-After) instead of queueing without end; and whatever it acknowledged must be stored, which the
/// scenario checks at the end by looking up every acknowledged message id in the hub's database.
/// </summary>
internal sealed class OverloadBenchmark : IScenario
{
    private const int Connections = 4;

    public string Name => "overload";

    public string Title => "Twice the measured HTTP capacity for 30 s: bounded answers, 503s with Retry-After, no acknowledged message lost";

    public async Task RunAsync(BenchRun run)
    {
        var duration = run.Pick(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2));
        var patience = run.Pick(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
        await using var hub = await run.HubAsync(Name);
        await using var subscriber = await Subscribers.OpenAsync(hub, "webhook batched");
        var sequence = 0;
        await Ingest.PostAllAsync(hub.Client(Connections), Telemetry.Batches("ow", ref sequence, 10), Connections); // warm-up
        // The better of two rounds: a probe slowed by a neighbour on the machine would offer the hub less than twice what it can do.
        var capacity = 0.0;
        for (var round = 0; round < run.Pick(2, 1); round++)
        {
            capacity = Math.Max(capacity, await Ingest.PostAllAsync(hub.Client(Connections), Telemetry.Batches("oc", ref sequence, run.Pick(150, 5)), Connections));
        }
        await hub.SettleAsync(run.Pick(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(2)));

        var rate = 2 * capacity;
        var batches = Telemetry.Batches("o", ref sequence, (int)(rate * duration.TotalSeconds / Telemetry.MessagesPerBatch));
        var load = await OpenLoad.RunAsync(hub.Client(128, patience), batches, rate, patience);
        var lost = Lost(hub, load.Acknowledged);

        var offered = string.Create(CultureInfo.InvariantCulture, $"{rate:N0} obs/s offered for {duration.TotalSeconds:0} s");
        run.Add(new Row(Name, $"acknowledged obs/s, {offered}", load.AcknowledgedPerSecond, "obs/s",
            "capacity (closed loop)", capacity, Note: (load.Acknowledged.Count >= 0.95 * load.Scheduled.Count ? "the hub took all it was offered, so this run did not overload it; " : "") + load.Summary()));
        run.Add(new Row(Name, "answer latency p99 (any status)", load.Answers.Percentile(0.99), "ms", Note: string.Create(CultureInfo.InvariantCulture, $"answers p50 {Report.Format(load.Answers.Percentile(0.5), "ms")}, max {Report.Format(load.Answers.Max, "ms")}; acks p99 {Report.Format(load.Acks.Percentile(0.99), "ms")}; no answer within {patience.TotalSeconds:0} s counts as behind")));
        run.Add(new Row(Name, "requests refused with 503", 100.0 * load.Unavailable / load.Requests, "%"));
        run.Add(new Row(Name, "acknowledged messages not stored", lost ?? double.NaN, "messages", Target: Target.AtMost(0, "messages"),
            Note: lost is null ? "no hub.db to check (a store other than SQLite)" : string.Create(CultureInfo.InvariantCulture, $"{load.Acknowledged.Count:N0} acknowledged ids looked up")));
    }

    /// <summary>How many acknowledged messages the hub's database lacks; null when it has no SQLite file.</summary>
    private static int? Lost(BenchHub hub, IReadOnlyCollection<string> acknowledged)
    {
        if (!File.Exists(hub.DatabasePath))
        {
            return null;
        }
        using var connection = new SqliteConnection($"Data Source={hub.DatabasePath};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT MessageId FROM messages WHERE AdapterId = $adapter AND MessageId LIKE 'o%'";
        command.Parameters.AddWithValue("$adapter", BenchHub.AdapterId);
        var stored = new HashSet<string>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            stored.Add(reader.GetString(0));
        }
        return acknowledged.Count(id => !stored.Contains(id));
    }
}
