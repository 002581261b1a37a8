using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace IntegrationHub.Bench;

/// <summary>
/// HTTP batch ingest through the full path (token check, validation, normalization, durable SQLite write) against a
/// raw SQLite insert of the same rows into the same schema with the same settings, in the same run. The hub runs as
/// its own process, as users run it; the client posts pre-serialized 100-message batches from a few connections.
/// </summary>
internal sealed class IngestBenchmark(int batches, int concurrency, int rounds)
{
    public const int MessagesPerBatch = BenchHub.MessagesPerBatch;
    private const int Devices = BenchHub.Devices;

    public async Task<IReadOnlyList<(double Hub, double Baseline)>> RunAsync()
    {
        var directory = Directory.CreateTempSubdirectory("ihub-bench-").FullName;
        var data = Path.Combine(directory, "data");
        await using var hub = await BenchHub.StartAsync(directory);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = hub.BaseAddress };
        var token = await BenchHub.SetUpTenantAsync(http);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var results = new List<(double, double)>();
        var sequence = 0;
        await PostAllAsync(http, MakeBatches(10, ref sequence)); // warm-up: JIT, connections, SQLite caches
        for (var round = 0; round < rounds; round++)
        {
            var bodies = MakeBatches(batches, ref sequence);
            var hubRate = await PostAllAsync(http, bodies);
            var baselineRate = RawInsert(Path.Combine(data, "hub.db"), Path.Combine(directory, $"baseline-{round}.db"), batches);
            results.Add((hubRate, baselineRate));
        }
        return results;
    }

    private static List<byte[]> MakeBatches(int count, ref int sequence)
    {
        var bodies = new List<byte[]>(count);
        for (var b = 0; b < count; b++)
        {
            bodies.Add(BenchHub.Batch(ref sequence));
        }
        return bodies;
    }

    /// <summary>Posts every batch over <c>concurrency</c> connections; returns observations per second.</summary>
    private async Task<double> PostAllAsync(HttpClient http, List<byte[]> bodies)
    {
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < bodies.Count)
            {
                using var content = new ByteArrayContent(bodies[index]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync(new Uri("/v1/telemetry", UriKind.Relative), content);
                var result = await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>();
                if (result!["accepted"]!.GetValue<int>() != MessagesPerBatch)
                {
                    throw new InvalidOperationException("The hub did not accept the whole batch: " + result.ToJsonString());
                }
            }
        }));
        return bodies.Count * MessagesPerBatch / watch.Elapsed.TotalSeconds;
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
            using var observation = Command(connection, transaction, "INSERT INTO observations (MessageRecordId, DeviceKey, OrganizationId, DeviceId, ProfileId, Domain, District, Sandbox, Metric, Number, Text, Unit, ObservedAt, ReceivedAt) VALUES ($r, $d, 'bench', $i, 'gas.underground-methane', 'gas', '370202', 1, 'ch4', $v, NULL, '%{LEL}', $t, $t)", "$r", "$d", "$i", "$v", "$t");
            using var latest = Command(connection, transaction, "INSERT INTO latest_values (DeviceKey, Metric, OrganizationId, DeviceId, ProfileId, Domain, District, Sandbox, Number, Text, Unit, ObservedAt, ReceivedAt) VALUES ($d, 'ch4', 'bench', $i, 'gas.underground-methane', 'gas', '370202', 1, $v, NULL, '%{LEL}', $t, $t) ON CONFLICT (DeviceKey, Metric) DO UPDATE SET Number = excluded.Number, ObservedAt = excluded.ObservedAt, ReceivedAt = excluded.ReceivedAt WHERE excluded.ObservedAt >= latest_values.ObservedAt", "$d", "$i", "$v", "$t");
            using var announce = Command(connection, transaction, "INSERT INTO outbox (Type, Source, Subject, Time, OrganizationId, Sandbox, Domain, District, Profile, DeviceKey, Data) VALUES ('city.integrationhub.observation.v1', '/integrationhub/hub/telemetry', $s, $t, 'bench', 1, 'gas', '370202', 'gas.underground-methane', $d, $j)", "$s", "$t", "$d", "$j");
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
    private static string EventData(int sequence, int device, long time)
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(time).UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{{\"messageId\":\"m{sequence}\",\"adapterId\":\"bench-adapter\",\"organizationId\":\"bench\",\"deviceId\":\"d{device}\",\"profile\":\"gas.underground-methane\",\"domain\":\"gas\",\"district\":\"370202\",\"time\":\"{at}\",\"receivedAt\":\"{at}\",\"observations\":[{{\"metric\":\"ch4\",\"value\":{sequence % 97 / 10.0},\"unit\":\"%{{LEL}}\"}}]}}");
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
