using System.Diagnostics;
using System.Globalization;
using IntegrationHub.Bench.Suite;
using Microsoft.Data.Sqlite;

namespace IntegrationHub.Bench.Scenarios;

/// <summary>
/// HTTP batch ingest through the full pipeline (token check, validation, normalization, durable SQLite write, the alert
/// engine running, one batched webhook subscriber attached and receiving) against a raw SQLite insert of the same rows
/// into the same schema with the same settings, in the same run. The client posts pre-serialized 100-message batches,
/// closed loop, over 4 connections, after 20 s of warm-up; rounds alternate hub and baseline, and the table gives their medians.
/// </summary>
internal sealed class IngestBenchmark : IScenario
{
    private const int Connections = 4;
    private const int MessagesPerBatch = Telemetry.MessagesPerBatch;
    private const int Devices = BenchHub.Devices;

    public string Name => "http";

    public string Title => "HTTP batch ingest, full pipeline with one webhook subscriber, vs a raw SQLite insert of the same rows";

    public async Task RunAsync(BenchRun run)
    {
        var (batches, rounds) = run.Pick((300, 3), (10, 1));
        await using var hub = await run.HubAsync(Name);
        await using var subscriber = await WebhookSubscriber.StartAsync(hub, "batched");
        var http = hub.Client(Connections);
        var hubRates = new List<double>();
        var baselineRates = new List<double>();
        var sequence = 0;
        // Warm-up (JIT, connections, SQLite caches): long enough for tiered compilation to reach the hub's hot path, which
        // on two cores took 5-25 s of load; with only 10 batches the first round was the slowest of every run.
        var warmUp = run.Pick(TimeSpan.FromSeconds(20), TimeSpan.Zero);
        var warming = Stopwatch.GetTimestamp();
        do
        {
            await Ingest.PostAllAsync(http, Telemetry.Batches("m", ref sequence, 10), Connections);
        }
        while (Stopwatch.GetElapsedTime(warming) < warmUp);
        for (var round = 0; round < rounds; round++)
        {
            hubRates.Add(await Ingest.PostAllAsync(http, Telemetry.Batches("m", ref sequence, batches), Connections));
            baselineRates.Add(RawInsert(hub.DatabasePath, Path.Combine(hub.WorkDirectory, $"baseline-{round}.db"), batches));
        }
        var delivered = subscriber.Arrivals.Count;
        run.Add(new Row(Name, $"obs/s, {MessagesPerBatch}-message batches, {Connections} connections", Latencies.Median(hubRates), "obs/s",
            "raw SQLite insert", Latencies.Median(baselineRates), Target.RatioAtLeast(0.6),
            string.Create(CultureInfo.InvariantCulture,
                $"medians of {rounds} rounds; hub {string.Join(" / ", hubRates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}, raw SQLite {string.Join(" / ", baselineRates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))} obs/s; the subscriber had received {delivered:N0} of {sequence:N0} events when the last round ended")));
    }

    /// <summary>
    /// The baseline: the same rows (message, observation, latest value, outbox event) into the hub's own schema, copied from its
    /// database, with the hub's settings (WAL, synchronous FULL), in one transaction per 100 messages.
    /// </summary>
    private static double RawInsert(string hubDatabase, string path, int batches)
    {
        using var connection = new SqliteConnection($"Data Source={path}");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
        using (var source = new SqliteConnection($"Data Source={hubDatabase};Mode=ReadOnly"))
        {
            source.Open();
            using var schema = source.CreateCommand();
            schema.CommandText = "SELECT sql FROM sqlite_master WHERE tbl_name IN ('messages', 'observations', 'latest_values', 'outbox') AND sql IS NOT NULL ORDER BY type DESC";
            using var reader = schema.ExecuteReader();
            while (reader.Read())
            {
                Execute(connection, reader.GetString(0));
            }
        }

        var watch = Stopwatch.StartNew();
        var sequence = 0;
        for (var b = 0; b < batches; b++)
        {
            using var transaction = connection.BeginTransaction();
            using var message = Command(connection, transaction, "INSERT INTO messages (AdapterId, MessageId, DeviceKey, ObservedAt, ReceivedAt, Lon, Lat, State, Status) VALUES ('bench-adapter', $m, $d, $t, $t, NULL, NULL, NULL, NULL) ON CONFLICT (AdapterId, MessageId) DO NOTHING RETURNING Id", "$m", "$d", "$t");
            using var observation = Command(connection, transaction, "INSERT INTO observations (MessageRecordId, DeviceKey, OrganizationId, DeviceId, ProfileId, Domain, District, Sandbox, Metric, Number, Text, Unit, ObservedAt, ReceivedAt) VALUES ($r, $d, 'bench', $i, 'gas.underground-methane', 'gas', '370202', 0, 'ch4', $v, NULL, '%{LEL}', $t, $t)", "$r", "$d", "$i", "$v", "$t");
            using var latest = Command(connection, transaction, "INSERT INTO latest_values (DeviceKey, Metric, OrganizationId, DeviceId, ProfileId, Domain, District, Sandbox, Number, Text, Unit, ObservedAt, ReceivedAt) VALUES ($d, 'ch4', 'bench', $i, 'gas.underground-methane', 'gas', '370202', 0, $v, NULL, '%{LEL}', $t, $t) ON CONFLICT (DeviceKey, Metric) DO UPDATE SET Number = excluded.Number, ObservedAt = excluded.ObservedAt, ReceivedAt = excluded.ReceivedAt WHERE excluded.ObservedAt >= latest_values.ObservedAt", "$d", "$i", "$v", "$t");
            using var announce = Command(connection, transaction, "INSERT INTO outbox (Type, Source, Subject, Time, OrganizationId, Sandbox, Domain, District, Profile, DeviceKey, Data) VALUES ('city.integrationhub.observation.v1', '/integrationhub/hub/telemetry', $s, $t, 'bench', 0, 'gas', '370202', 'gas.underground-methane', $d, $j)", "$s", "$t", "$d", "$j");
            for (var m = 0; m < MessagesPerBatch; m++, sequence++)
            {
                var time = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var device = sequence % Devices;
                Bind(message, "m" + sequence, device, time);
                var row = (long)message.ExecuteScalar()!;
                Bind(observation, row, device, "d" + device, sequence % 97 / 10.0, time);
                observation.ExecuteNonQuery();
                Bind(latest, device, "d" + device, sequence % 97 / 10.0, time);
                latest.ExecuteNonQuery();
                Bind(announce, "bench/d" + device, time, device, EventData(sequence, device, time));
                announce.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        return batches * MessagesPerBatch / watch.Elapsed.TotalSeconds;
    }

    // The size and shape of the hub's observation event data (schemas/observation-event.schema.json).
    private static byte[] EventData(int sequence, int device, long time)
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(time).UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        return System.Text.Encoding.UTF8.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{{\"messageId\":\"m{sequence}\",\"adapterId\":\"bench-adapter\",\"organizationId\":\"bench\",\"deviceId\":\"d{device}\",\"profile\":\"gas.underground-methane\",\"domain\":\"gas\",\"district\":\"370202\",\"time\":\"{at}\",\"receivedAt\":\"{at}\",\"observations\":[{{\"metric\":\"ch4\",\"value\":{sequence % 97 / 10.0},\"unit\":\"%{{LEL}}\"}}]}}"));
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }
        command.Prepare();
        return command;
    }

    private static void Bind(SqliteCommand command, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }
    }
}
