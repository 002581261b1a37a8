using System.Buffers;
using System.Text;
using System.Text.Json;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Cluster;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace IntegrationHub.Gateway.Ingestion;

/// <summary>
/// The ingest store on PostgreSQL. Where SQLite pays nothing per statement, PostgreSQL pays a round trip, so a batch
/// goes to the server as one statement: its messages, observations, latest values and events as arrays
/// (<c>unnest</c>), inserted by data-modifying CTEs that keep only the messages the unique key let in. That measured
/// faster than a binary COPY into a staging table for every batch size up to Ingestion:MaxBatchMessages (README,
/// Storage). The transaction and savepoint commands the writer asks for travel with the next statement instead of
/// alone. So a publish of one message costs one round trip, and a group its commit.
/// </summary>
internal sealed class PostgreSqlIngestStore(HubDatabase database, ClusterSignals cluster, IOptions<HubOptions> hub, IOptions<FaultOptions> faults) : IIngestStore
{
    public IIngestSession Open() => new Session(database.DataSource.OpenConnection(), EventTypes.Source(hub.Value.Id, "telemetry"), cluster.CommitNotifySql, faults.Value.FailWriteOfMessageId);

    private sealed class Session : IIngestSession
    {
        // Every message of the batch as a row of `input`; the messages the unique key lets in come back from `inserted`
        // with their ordinal, and only theirs get observations, latest values and an event. Within a batch each
        // message id is sent once (the writer's copies are duplicates before they reach the database).
        private const string WriteSql = """
            WITH input AS (
                SELECT * FROM unnest($5::text[], $6::bigint[], $7::bigint[], $8::float8[], $9::float8[], $10::text[], $11::text[],
                                     $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::bytea[])
                    WITH ORDINALITY AS m("MessageId", "DeviceKey", "ObservedAt", "Lon", "Lat", "State", "Status",
                                         "DeviceId", "ProfileId", "Domain", "District", "Subject", "Data", "Ordinal")
            ),
            inserted AS (
                INSERT INTO "messages" ("AdapterId", "MessageId", "DeviceKey", "ObservedAt", "ReceivedAt", "Lon", "Lat", "State", "Status")
                SELECT $1, "MessageId", "DeviceKey", "ObservedAt", $2, "Lon", "Lat", "State", "Status" FROM input ORDER BY "Ordinal"
                ON CONFLICT ("AdapterId", "MessageId") DO NOTHING
                RETURNING "Id", "MessageId"
            ),
            accepted AS (
                SELECT inserted."Id", input.* FROM inserted JOIN input ON input."MessageId" = inserted."MessageId"
            ),
            observed AS (
                SELECT a."Id", a."DeviceKey", a."DeviceId", a."ProfileId", a."Domain", a."District", a."ObservedAt",
                       v."Metric", v."Number", v."Text", v."Unit", v."Ordinal"
                FROM unnest($18::integer[], $19::text[], $20::float8[], $21::text[], $22::text[])
                    WITH ORDINALITY AS v("Message", "Metric", "Number", "Text", "Unit", "Ordinal")
                JOIN accepted a ON a."Ordinal" = v."Message"
            ),
            observations AS (
                INSERT INTO "observations" ("MessageRecordId", "DeviceKey", "OrganizationId", "DeviceId", "ProfileId", "Domain", "District", "Sandbox", "Metric", "Number", "Text", "Unit", "ObservedAt", "ReceivedAt")
                SELECT "Id", "DeviceKey", $3, "DeviceId", "ProfileId", "Domain", "District", $4, "Metric", "Number", "Text", "Unit", "ObservedAt", $2
                FROM observed ORDER BY "Ordinal"
            ),
            -- The latest value only moves forward in observation time: a late, older message is stored but does not
            -- replace it; of one batch's values for a device and metric, the newest (the last of equals) counts.
            latest AS (
                INSERT INTO "latest_values" ("DeviceKey", "Metric", "OrganizationId", "DeviceId", "ProfileId", "Domain", "District", "Sandbox", "Number", "Text", "Unit", "ObservedAt", "ReceivedAt")
                SELECT DISTINCT ON ("DeviceKey", "Metric") "DeviceKey", "Metric", $3, "DeviceId", "ProfileId", "Domain", "District", $4, "Number", "Text", "Unit", "ObservedAt", $2
                FROM observed ORDER BY "DeviceKey", "Metric", "ObservedAt" DESC, "Ordinal" DESC
                ON CONFLICT ("DeviceKey", "Metric") DO UPDATE SET
                    "ProfileId" = excluded."ProfileId", "Domain" = excluded."Domain", "District" = excluded."District", "Sandbox" = excluded."Sandbox",
                    "Number" = excluded."Number", "Text" = excluded."Text", "Unit" = excluded."Unit", "ObservedAt" = excluded."ObservedAt", "ReceivedAt" = excluded."ReceivedAt"
                WHERE excluded."ObservedAt" >= "latest_values"."ObservedAt"
            ),
            -- Each accepted message is announced to subscribers in its own transaction (EVT-001), in message order.
            events AS (
                INSERT INTO "outbox" ("Type", "Source", "Subject", "Time", "OrganizationId", "Sandbox", "Domain", "District", "Profile", "DeviceKey", "Data")
                SELECT $23, $24, "Subject", $2, $3, $4, "Domain", COALESCE("District", ''), "ProfileId", "DeviceKey", "Data"
                FROM accepted ORDER BY "Ordinal"
            )
            SELECT "Ordinal", "Id" FROM accepted
            """;

        private const string StoredSql = """
            SELECT "MessageId" FROM "messages" WHERE "AdapterId" = $1 AND "MessageId" = ANY($2)
            """;

        private const string QuarantineSql = """
            INSERT INTO "quarantine" ("OrganizationId", "AdapterId", "ReceivedAt", "MessageId", "DeviceId", "Errors", "Payload", "PayloadBytes", "PayloadTruncated")
            SELECT $1, $2, $3, "MessageId", "DeviceId", "Errors", "Payload", "PayloadBytes", "PayloadTruncated"
            FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[], $9::boolean[])
                WITH ORDINALITY AS q("MessageId", "DeviceId", "Errors", "Payload", "PayloadBytes", "PayloadTruncated", "Ordinal")
            ORDER BY "Ordinal"
            RETURNING "Id"
            """;

        private readonly NpgsqlConnection _connection;
        private readonly string _source;
        private readonly string _notify;
        private readonly string? _failWriteOf;

        // Transaction and savepoint commands not sent yet: they go with the next statement, in order.
        private readonly List<string> _pending = [];

        // Whether anything of the open transaction reached the server (then a rollback must too).
        private bool _sent;

        private readonly Messages _messages = new();
        private readonly Rejections _rejections = new();
        private readonly Dictionary<string, int> _firstOf = new(StringComparer.Ordinal);
        private readonly ArrayBufferWriter<byte> _buffer = new(1024);
        private readonly Utf8JsonWriter _json;

        public Session(NpgsqlConnection connection, string source, string notify, string? failWriteOf)
        {
            _connection = connection;
            _source = source;
            _notify = notify;
            _failWriteOf = failWriteOf;
            _json = new Utf8JsonWriter(_buffer);
        }

        public void Begin()
        {
            _pending.Add("BEGIN");
            // Outbox ids are cursors: they must be handed out in commit order (OutboxOrder).
            _pending.Add(OutboxOrder.LockSql);
            // The other nodes of a cluster learn of the commit when it commits (their alert engine and event readers).
            _pending.Add(_notify);
        }

        public void Commit()
        {
            _pending.Add("COMMIT");
            Flush();
            _sent = false;
        }

        public void Rollback()
        {
            _pending.Clear();
            if (_sent)
            {
                Execute(["ROLLBACK"]);
                _sent = false;
            }
        }

        public void Savepoint(string name) => _pending.Add("SAVEPOINT " + Quote(name));

        public void Release(string name)
        {
            if (!DropUnused(name))
            {
                _pending.Add("RELEASE SAVEPOINT " + Quote(name));
            }
        }

        public void RollbackTo(string name)
        {
            if (!DropUnused(name))
            {
                _pending.Add("ROLLBACK TO SAVEPOINT " + Quote(name));
                _pending.Add("RELEASE SAVEPOINT " + Quote(name));
                Flush();
            }
        }

        // A savepoint nothing was written under needs no trip to the server: it is taken back before it is sent.
        private bool DropUnused(string name)
        {
            if (_pending.Count > 0 && _pending[^1] == "SAVEPOINT " + Quote(name))
            {
                _pending.RemoveAt(_pending.Count - 1);
                return true;
            }
            return false;
        }

        public void Write(Sender sender, IReadOnlyList<PendingMessage> batch, DateTimeOffset receivedAt, Span<StoredMessage> stored)
        {
            var received = receivedAt.ToUnixTimeMilliseconds();
            _messages.Clear();
            _rejections.Clear();
            _firstOf.Clear();
            var held = Held(sender.AdapterId, batch);
            for (var i = 0; i < batch.Count; i++)
            {
                var verdict = batch[i].Verdict;
                if (held is not null && batch[i].IfStored && held.Contains(verdict.MessageId!))
                {
                    stored[i] = StoredMessage.Duplicate;
                    continue;
                }
                if (verdict.Message is not { } accepted)
                {
                    _rejections.Add(i, verdict.MessageId, verdict.DeviceId, verdict.Findings, KeptPayload.Of(batch[i].Payload));
                    continue;
                }
                // A copy of a message earlier in the batch is a duplicate of it, as the unique key would judge it.
                stored[i] = StoredMessage.Duplicate;
                if (!_firstOf.TryAdd(accepted.MessageId, i))
                {
                    continue;
                }
                if (accepted.MessageId == _failWriteOf)
                {
                    throw new PostgresException($"Fault point: the store refuses message {accepted.MessageId}.", "ERROR", "ERROR", PostgresErrorCodes.CheckViolation);
                }
                var device = accepted.Device ?? throw new InvalidOperationException("The hub validates with its device registry, so every accepted message has a device.");
                _buffer.ResetWrittenCount();
                _json.Reset();
                ObservationEvents.Write(_json, sender, accepted, device.District ?? "", receivedAt);
                _json.Flush();
                _messages.Add(i, accepted, device, $"{sender.OrganizationId}/{device.DeviceId}", _buffer.WrittenSpan.ToArray());
            }
            if (_messages.Count == 0 && _rejections.Count == 0)
            {
                return;
            }

            using var batchCommand = new NpgsqlBatch(_connection);
            AddPending(batchCommand);
            if (_messages.Count > 0)
            {
                batchCommand.BatchCommands.Add(_messages.Command(WriteSql, sender, received, EventTypes.Observation, _source));
            }
            if (_rejections.Count > 0)
            {
                batchCommand.BatchCommands.Add(_rejections.Command(QuarantineSql, sender, received));
            }
            _sent = true;
            using var reader = batchCommand.ExecuteReader();
            var quarantineIds = new List<long>(_rejections.Count);
            do
            {
                // The statements sent ahead (a lock's SELECT among them) return results of their own: known by their columns.
                var result = reader.FieldCount > 0 ? reader.GetName(0) : null;
                while (reader.Read())
                {
                    if (result == "Ordinal")
                    {
                        // "Ordinal" counts the batch's accepted messages from 1.
                        stored[_messages.Index[(int)reader.GetInt64(0) - 1]] = StoredMessage.Accepted(reader.GetInt64(1));
                    }
                    else if (result == "Id")
                    {
                        quarantineIds.Add(reader.GetInt64(0));
                    }
                }
            }
            while (reader.NextResult());
            // Identities are drawn in insertion order, which follows the ordinals.
            quarantineIds.Sort();
            for (var r = 0; r < quarantineIds.Count; r++)
            {
                stored[_rejections.Index[r]] = StoredMessage.Rejected(quarantineIds[r]);
            }
        }

        /// <summary>
        /// Which of the batch's messages marked <see cref="PendingMessage.IfStored"/> the adapter has a receipt of, read
        /// in the group's transaction (a round trip only for a batch that has such a message, which is rare). Should
        /// retention delete a receipt after this read, the answer, duplicate, still tells of a message that was stored.
        /// </summary>
        private HashSet<string>? Held(string adapterId, IReadOnlyList<PendingMessage> batch)
        {
            List<string>? ids = null;
            foreach (var message in batch)
            {
                if (message.IfStored)
                {
                    (ids ??= []).Add(message.Verdict.MessageId!);
                }
            }
            if (ids is null)
            {
                return null;
            }
            using var batchCommand = new NpgsqlBatch(_connection);
            AddPending(batchCommand);
            batchCommand.BatchCommands.Add(new NpgsqlBatchCommand(StoredSql) { Parameters = { new() { Value = adapterId }, new() { Value = ids.ToArray() } } });
            _sent = true;
            using var reader = batchCommand.ExecuteReader();
            var held = new HashSet<string>(StringComparer.Ordinal);
            do
            {
                if (reader.FieldCount > 0 && reader.GetName(0) == "MessageId")
                {
                    while (reader.Read())
                    {
                        held.Add(reader.GetString(0));
                    }
                }
            }
            while (reader.NextResult());
            return held;
        }

        public long QuarantineBody(Sender sender, Finding finding, KeptPayload payload, DateTimeOffset receivedAt)
        {
            _rejections.Clear();
            _rejections.Add(0, null, null, [finding], payload);
            using var batchCommand = new NpgsqlBatch(_connection);
            AddPending(batchCommand);
            batchCommand.BatchCommands.Add(_rejections.Command(QuarantineSql, sender, receivedAt.ToUnixTimeMilliseconds()));
            _sent = true;
            using var reader = batchCommand.ExecuteReader();
            long? id = null;
            do
            {
                if (reader.FieldCount > 0 && reader.GetName(0) == "Id" && reader.Read())
                {
                    id = reader.GetInt64(0);
                }
            }
            while (reader.NextResult());
            return id ?? throw new InvalidOperationException("The quarantine insert returned no id.");
        }

        private void AddPending(NpgsqlBatch batch)
        {
            foreach (var sql in _pending)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(sql));
            }
            _pending.Clear();
        }

        private void Flush()
        {
            if (_pending.Count > 0)
            {
                Execute(_pending);
                _pending.Clear();
            }
        }

        private void Execute(IEnumerable<string> statements)
        {
            using var batch = new NpgsqlBatch(_connection);
            foreach (var sql in statements)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(sql));
            }
            _sent = true;
            batch.ExecuteNonQuery();
        }

        private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

        public void Dispose()
        {
            _json.Dispose();
            // Back to the pool, which rolls back whatever the connection left open.
            _connection.Dispose();
        }
    }

    /// <summary>The accepted messages of a batch, column by column, with their observations.</summary>
    private sealed class Messages
    {
        private readonly List<string> _ids = [], _deviceIds = [], _profiles = [], _domains = [], _subjects = [];
        private readonly List<byte[]> _data = [];
        private readonly List<string?> _states = [], _statuses = [], _districts = [];
        private readonly List<long> _deviceKeys = [], _observed = [];
        private readonly List<double?> _lons = [], _lats = [];
        private readonly List<int> _valueMessages = [];
        private readonly List<string> _metrics = [];
        private readonly List<double?> _numbers = [];
        private readonly List<string?> _texts = [], _units = [];

        /// <summary>Each message's index in the writer's batch.</summary>
        public List<int> Index { get; } = [];

        public int Count => Index.Count;

        public void Clear()
        {
            Index.Clear();
            foreach (var list in new System.Collections.IList[] { _ids, _deviceIds, _profiles, _domains, _subjects, _data, _states, _statuses, _districts, _deviceKeys, _observed, _lons, _lats, _valueMessages, _metrics, _numbers, _texts, _units })
            {
                list.Clear();
            }
        }

        public void Add(int index, NormalizedMessage message, DeviceRegistration device, string subject, byte[] data)
        {
            Index.Add(index);
            _ids.Add(PostgreSqlText.Of(message.MessageId));
            _deviceKeys.Add(device.Key);
            _observed.Add(message.Time.ToUnixTimeMilliseconds());
            _lons.Add(message.Location?.Lon);
            _lats.Add(message.Location?.Lat);
            _states.Add(PostgreSqlText.OfNullable(message.Status?.State));
            _statuses.Add(message.Status is null ? null : JsonSerializer.Serialize(message.Status, IngestionJsonContext.Default.DeviceStatus));
            _deviceIds.Add(PostgreSqlText.Of(device.DeviceId));
            _profiles.Add(message.Profile.Id);
            _domains.Add(message.Profile.Domain);
            _districts.Add(device.District);
            _subjects.Add(PostgreSqlText.Of(subject));
            _data.Add(data);
            foreach (var value in message.Observations)
            {
                _valueMessages.Add(Index.Count);
                _metrics.Add(PostgreSqlText.Of(value.Metric));
                _numbers.Add(value.Number);
                _texts.Add(PostgreSqlText.OfNullable(value.Text));
                _units.Add(PostgreSqlText.OfNullable(value.Unit));
            }
        }

        public NpgsqlBatchCommand Command(string sql, Sender sender, long received, string type, string source) => new(sql)
        {
            Parameters =
            {
                new NpgsqlParameter<string> { TypedValue = sender.AdapterId },
                new NpgsqlParameter<long> { TypedValue = received },
                new NpgsqlParameter<string> { TypedValue = sender.OrganizationId },
                new NpgsqlParameter<bool> { TypedValue = sender.Sandbox },
                new NpgsqlParameter<List<string>> { TypedValue = _ids },
                new NpgsqlParameter<List<long>> { TypedValue = _deviceKeys },
                new NpgsqlParameter<List<long>> { TypedValue = _observed },
                new NpgsqlParameter<List<double?>> { TypedValue = _lons },
                new NpgsqlParameter<List<double?>> { TypedValue = _lats },
                new NpgsqlParameter<List<string?>> { TypedValue = _states },
                new NpgsqlParameter<List<string?>> { TypedValue = _statuses },
                new NpgsqlParameter<List<string>> { TypedValue = _deviceIds },
                new NpgsqlParameter<List<string>> { TypedValue = _profiles },
                new NpgsqlParameter<List<string>> { TypedValue = _domains },
                new NpgsqlParameter<List<string?>> { TypedValue = _districts },
                new NpgsqlParameter<List<string>> { TypedValue = _subjects },
                new NpgsqlParameter<List<byte[]>> { TypedValue = _data },
                new NpgsqlParameter<List<int>> { TypedValue = _valueMessages },
                new NpgsqlParameter<List<string>> { TypedValue = _metrics },
                new NpgsqlParameter<List<double?>> { TypedValue = _numbers },
                new NpgsqlParameter<List<string?>> { TypedValue = _texts },
                new NpgsqlParameter<List<string?>> { TypedValue = _units },
                new NpgsqlParameter<string> { TypedValue = type },
                new NpgsqlParameter<string> { TypedValue = source },
            },
        };
    }

    /// <summary>The rejected messages of a batch, column by column, for the quarantine.</summary>
    private sealed class Rejections
    {
        private readonly List<string?> _messageIds = [], _deviceIds = [];
        private readonly List<string> _errors = [], _payloads = [];
        private readonly List<byte[]?> _bytes = [];
        private readonly List<bool> _truncated = [];

        /// <summary>Each rejection's index in the writer's batch.</summary>
        public List<int> Index { get; } = [];

        public int Count => Index.Count;

        public void Clear()
        {
            Index.Clear();
            _messageIds.Clear();
            _deviceIds.Clear();
            _errors.Clear();
            _payloads.Clear();
            _bytes.Clear();
            _truncated.Clear();
        }

        public void Add(int index, string? messageId, string? deviceId, IReadOnlyList<Finding> findings, KeptPayload payload)
        {
            Index.Add(index);
            _messageIds.Add(PostgreSqlText.OfNullable(messageId));
            _deviceIds.Add(PostgreSqlText.OfNullable(deviceId));
            _errors.Add(JsonSerializer.Serialize(findings, IngestionJsonContext.Default.IReadOnlyListFinding));
            _payloads.Add(payload.Text);
            _bytes.Add(payload.Bytes);
            _truncated.Add(payload.Truncated);
        }

        public NpgsqlBatchCommand Command(string sql, Sender sender, long received) => new(sql)
        {
            Parameters =
            {
                new NpgsqlParameter<string> { TypedValue = sender.OrganizationId },
                new NpgsqlParameter<string> { TypedValue = sender.AdapterId },
                new NpgsqlParameter<long> { TypedValue = received },
                new NpgsqlParameter<List<string?>> { TypedValue = _messageIds },
                new NpgsqlParameter<List<string?>> { TypedValue = _deviceIds },
                new NpgsqlParameter<List<string>> { TypedValue = _errors },
                new NpgsqlParameter<List<string>> { TypedValue = _payloads },
                new NpgsqlParameter<List<byte[]?>> { TypedValue = _bytes },
                new NpgsqlParameter<List<bool>> { TypedValue = _truncated },
            },
        };
    }
}

/// <summary>
/// Text as PostgreSQL can store it. Its <c>text</c> holds no NUL character, and its UTF-8 no unpaired surrogate, both of
/// which a .NET string (and a JSON escape) may carry; they are stored as U+FFFD, as SQLite reads unpaired surrogates back.
/// </summary>
internal static class PostgreSqlText
{
    public static string Of(string text)
    {
        if (text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0 && !text.Contains('\0', StringComparison.Ordinal))
        {
            return text;
        }
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else
            {
                builder.Append(c == '\0' || char.IsSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return builder.ToString();
    }

    public static string? OfNullable(string? text) => text is null ? null : Of(text);
}
