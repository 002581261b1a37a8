using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using SQLitePCL;

namespace IntegrationHub.Gateway.Ingestion;

/// <summary>
/// The ingest store on SQLite. The writer's session keeps one connection and its statements prepared for its whole
/// life, and binds values by position straight into SQLite (no parameter objects, no boxing, no name lookups): the
/// writer is the one thread every accepted message passes through, so each microsecond here bounds the hub's rate.
/// </summary>
internal sealed class SqliteIngestStore(HubDatabase database, IOptions<HubOptions> hub, IOptions<FaultOptions> faults) : IIngestStore
{
    public IIngestSession Open() => new Session(database, EventTypes.Source(hub.Value.Id, "telemetry"), faults.Value.FailWriteOfMessageId);

    private sealed class Session : IIngestSession
    {
        private const string InsertMessageSql = """
            INSERT INTO "messages" ("AdapterId", "MessageId", "DeviceKey", "ObservedAt", "ReceivedAt", "Lon", "Lat", "State", "Status")
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            ON CONFLICT ("AdapterId", "MessageId") DO NOTHING
            RETURNING "Id"
            """;

        private const string StoredSql = """
            SELECT 1 FROM "messages" WHERE "AdapterId" = ?1 AND "MessageId" = ?2
            """;

        private const string InsertObservationSql = """
            INSERT INTO "observations" ("MessageRecordId", "DeviceKey", "OrganizationId", "DeviceId", "ProfileId", "Domain", "District", "Sandbox", "Metric", "Number", "Text", "Unit", "ObservedAt", "ReceivedAt")
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
            """;

        // The latest value only moves forward in observation time: a late, older message is stored but does not replace it.
        // Its parameters are numbered as the observation's (?1, the message's row, it does not use).
        private const string UpsertLatestSql = """
            INSERT INTO "latest_values" ("DeviceKey", "Metric", "OrganizationId", "DeviceId", "ProfileId", "Domain", "District", "Sandbox", "Number", "Text", "Unit", "ObservedAt", "ReceivedAt")
            VALUES (?2, ?9, ?3, ?4, ?5, ?6, ?7, ?8, ?10, ?11, ?12, ?13, ?14)
            ON CONFLICT ("DeviceKey", "Metric") DO UPDATE SET
                "ProfileId" = excluded."ProfileId", "Domain" = excluded."Domain", "District" = excluded."District", "Sandbox" = excluded."Sandbox",
                "Number" = excluded."Number", "Text" = excluded."Text", "Unit" = excluded."Unit", "ObservedAt" = excluded."ObservedAt", "ReceivedAt" = excluded."ReceivedAt"
            WHERE excluded."ObservedAt" >= "latest_values"."ObservedAt"
            """;

        // Each accepted message is announced to subscribers in its own transaction (EVT-001).
        private const string InsertEventSql = """
            INSERT INTO "outbox" ("Type", "Source", "Subject", "Time", "OrganizationId", "Sandbox", "Domain", "District", "Profile", "DeviceKey", "Data")
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
            """;

        private const string InsertQuarantineSql = """
            INSERT INTO "quarantine" ("OrganizationId", "AdapterId", "ReceivedAt", "MessageId", "DeviceId", "Errors", "Payload", "PayloadBytes", "PayloadTruncated")
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            RETURNING "Id"
            """;

        private readonly SqliteConnection _connection;
        private readonly sqlite3 _db;
        private readonly string _source;
        private readonly TimeSpan _busyTimeout;
        private readonly string? _failWriteOf;
        private readonly Statement _begin, _commit, _rollback, _message, _stored, _observation, _latest, _event, _quarantine;
        private readonly Dictionary<string, (Statement Open, Statement Release, Statement RollbackTo)> _savepoints = new(StringComparer.Ordinal);
        private readonly ArrayBufferWriter<byte> _buffer = new(1024);
        private readonly Utf8JsonWriter _json;

        public Session(HubDatabase database, string source, string? failWriteOf)
        {
            _source = source;
            _busyTimeout = database.BusyTimeout;
            _failWriteOf = failWriteOf;
            // No busy timeout: Begin waits for the write lock itself (SQLite's wait sleeps in growing steps).
            _connection = database.OpenOwnSqlite(" PRAGMA busy_timeout = 0;");
            _db = _connection.Handle!;
            _json = new Utf8JsonWriter(_buffer);
            _begin = new Statement(_db, "BEGIN IMMEDIATE");
            _commit = new Statement(_db, "COMMIT");
            _rollback = new Statement(_db, "ROLLBACK");
            _message = new Statement(_db, InsertMessageSql);
            _stored = new Statement(_db, StoredSql);
            _observation = new Statement(_db, InsertObservationSql);
            _latest = new Statement(_db, UpsertLatestSql);
            _event = new Statement(_db, InsertEventSql);
            _quarantine = new Statement(_db, InsertQuarantineSql);
        }

        /// <summary>
        /// Takes the write lock. While another connection (the alert engine, a delivery lane) holds it, SQLite's own
        /// busy handler would sleep in growing steps, up to 100 ms, and the whole group with it; this looks again
        /// every millisecond instead, for as long in all as the busy timeout gives every other connection.
        /// </summary>
        public void Begin()
        {
            var started = Stopwatch.GetTimestamp();
            while (_begin.TryExecute() == raw.SQLITE_BUSY)
            {
                if (Stopwatch.GetElapsedTime(started) > _busyTimeout)
                {
                    _begin.Execute();
                }
                Thread.Sleep(1);
            }
        }

        public void Commit() => _commit.Execute();

        public void Rollback()
        {
            // SQLite may have rolled the transaction back itself (a full disk, an I/O error); then there is nothing to undo.
            if (raw.sqlite3_get_autocommit(_db) == 0)
            {
                _rollback.Execute();
            }
        }

        public void Savepoint(string name) => SavepointStatements(name).Open.Execute();

        public void Release(string name) => SavepointStatements(name).Release.Execute();

        public void RollbackTo(string name)
        {
            var statements = SavepointStatements(name);
            statements.RollbackTo.Execute();
            statements.Release.Execute();
        }

        public void Write(Sender sender, IReadOnlyList<PendingMessage> batch, DateTimeOffset receivedAt, Span<StoredMessage> stored)
        {
            var received = receivedAt.ToUnixTimeMilliseconds();
            for (var i = 0; i < batch.Count; i++)
            {
                var verdict = batch[i].Verdict;
                if (batch[i].IfStored && Holds(sender.AdapterId, verdict.MessageId!))
                {
                    stored[i] = StoredMessage.Duplicate;
                    continue;
                }
                if (verdict.Message is not { } accepted)
                {
                    stored[i] = StoredMessage.Rejected(Quarantine(sender, received, verdict.MessageId, verdict.DeviceId, verdict.Findings, KeptPayload.Of(batch[i].Payload)));
                    continue;
                }
                var device = accepted.Device ?? throw new InvalidOperationException("The hub validates with its device registry, so every accepted message has a device.");
                var observed = accepted.Time.ToUnixTimeMilliseconds();
                var message = _message;
                message.Bind(1, sender.AdapterId);
                message.Bind(2, accepted.MessageId);
                message.Bind(3, device.Key);
                message.Bind(4, observed);
                message.Bind(5, received);
                message.Bind(6, accepted.Location?.Lon);
                message.Bind(7, accepted.Location?.Lat);
                message.Bind(8, accepted.Status?.State);
                message.Bind(9, accepted.Status is null ? null : JsonSerializer.Serialize(accepted.Status, IngestionJsonContext.Default.DeviceStatus));
                if (message.ExecuteScalar() is not { } row)
                {
                    stored[i] = StoredMessage.Duplicate;
                    continue;
                }
                if (accepted.MessageId == _failWriteOf)
                {
                    throw new SqliteException($"Fault point: the store refuses message {accepted.MessageId}.", 19); // SQLITE_CONSTRAINT
                }
                var district = device.District ?? "";
                foreach (var value in accepted.Observations)
                {
                    // The observation and the latest value take the same parameters (the latest value not the message's row).
                    foreach (var statement in (ReadOnlySpan<Statement>)[_observation, _latest])
                    {
                        statement.Bind(1, row);
                        statement.Bind(2, device.Key);
                        statement.Bind(3, sender.OrganizationId);
                        statement.Bind(4, device.DeviceId);
                        statement.Bind(5, accepted.Profile.Id);
                        statement.Bind(6, accepted.Profile.Domain);
                        statement.Bind(7, device.District);
                        statement.Bind(8, sender.Sandbox);
                        statement.Bind(9, value.Metric);
                        statement.Bind(10, value.Number);
                        statement.Bind(11, value.Text);
                        statement.Bind(12, value.Unit);
                        statement.Bind(13, observed);
                        statement.Bind(14, received);
                        statement.Execute();
                    }
                }
                _buffer.ResetWrittenCount();
                _json.Reset();
                ObservationEvents.Write(_json, sender, accepted, district, receivedAt);
                _json.Flush();
                var announce = _event;
                announce.Bind(1, EventTypes.Observation);
                announce.Bind(2, _source);
                announce.Bind(3, $"{sender.OrganizationId}/{device.DeviceId}");
                announce.Bind(4, received);
                announce.Bind(5, sender.OrganizationId);
                announce.Bind(6, sender.Sandbox);
                announce.Bind(7, accepted.Profile.Domain);
                announce.Bind(8, district);
                announce.Bind(9, accepted.Profile.Id);
                announce.Bind(10, device.Key);
                // The event's data is stored as the UTF-8 bytes it is sent as (a blob), rendered once here.
                announce.BindBlob(11, _buffer.WrittenSpan);
                announce.Execute();
                stored[i] = StoredMessage.Accepted(row);
            }
        }

        // Read under the write lock the group holds: retention cannot delete the receipt between this and the answer.
        private bool Holds(string adapterId, string messageId)
        {
            _stored.Bind(1, adapterId);
            _stored.Bind(2, messageId);
            return _stored.ExecuteScalar() is not null;
        }

        public long QuarantineBody(Sender sender, Finding finding, KeptPayload payload, DateTimeOffset receivedAt) =>
            Quarantine(sender, receivedAt.ToUnixTimeMilliseconds(), null, null, [finding], payload);

        private long Quarantine(Sender sender, long received, string? messageId, string? deviceId, IReadOnlyList<Finding> findings, KeptPayload kept)
        {
            var quarantine = _quarantine;
            quarantine.Bind(1, sender.OrganizationId);
            quarantine.Bind(2, sender.AdapterId);
            quarantine.Bind(3, received);
            quarantine.Bind(4, messageId);
            quarantine.Bind(5, deviceId);
            quarantine.Bind(6, JsonSerializer.Serialize(findings, IngestionJsonContext.Default.IReadOnlyListFinding));
            quarantine.Bind(7, kept.Text);
            quarantine.BindBlob(8, kept.Bytes);
            quarantine.Bind(9, kept.Truncated);
            return quarantine.ExecuteScalar() ?? throw new InvalidOperationException("The quarantine insert returned no id.");
        }

        private (Statement Open, Statement Release, Statement RollbackTo) SavepointStatements(string name)
        {
            if (!_savepoints.TryGetValue(name, out var statements))
            {
                var quoted = "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
                statements = (new Statement(_db, "SAVEPOINT " + quoted), new Statement(_db, "RELEASE " + quoted), new Statement(_db, "ROLLBACK TO " + quoted));
                _savepoints[name] = statements;
            }
            return statements;
        }

        public void Dispose()
        {
            foreach (var statement in new[] { _begin, _commit, _rollback, _message, _stored, _observation, _latest, _event, _quarantine })
            {
                statement.Dispose();
            }
            foreach (var (open, release, rollbackTo) in _savepoints.Values)
            {
                open.Dispose();
                release.Dispose();
                rollbackTo.Dispose();
            }
            _json.Dispose();
            _connection.Dispose();
        }
    }

    /// <summary>
    /// One prepared statement, bound by position. Every execution resets it, success or failure, so it is ready for the
    /// next; an error becomes the <see cref="SqliteException"/> Microsoft.Data.Sqlite would raise.
    /// </summary>
    private sealed class Statement : IDisposable
    {
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _statement;

        public Statement(sqlite3 db, string sql)
        {
            _db = db;
            Check(raw.sqlite3_prepare_v3(db, sql, raw.SQLITE_PREPARE_PERSISTENT, out _statement));
        }

        public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

        public void Bind(int index, bool value) => Check(raw.sqlite3_bind_int64(_statement, index, value ? 1 : 0));

        public void Bind(int index, double? value) =>
            Check(value is { } number ? raw.sqlite3_bind_double(_statement, index, number) : raw.sqlite3_bind_null(_statement, index));

        public void Bind(int index, string? value) =>
            Check(value is null ? raw.sqlite3_bind_null(_statement, index) : raw.sqlite3_bind_text16(_statement, index, value.AsSpan()));

        public void BindBlob(int index, ReadOnlySpan<byte> value) => Check(raw.sqlite3_bind_blob(_statement, index, value));

        public void BindBlob(int index, byte[]? value) =>
            Check(value is null ? raw.sqlite3_bind_null(_statement, index) : raw.sqlite3_bind_blob(_statement, index, value));

        public void Execute() => Check(TryExecute());

        /// <summary>Runs the statement; returns <c>SQLITE_OK</c>, or the error for the caller to judge.</summary>
        public int TryExecute()
        {
            var result = raw.sqlite3_step(_statement);
            var reset = raw.sqlite3_reset(_statement);
            return result is raw.SQLITE_DONE or raw.SQLITE_ROW ? raw.SQLITE_OK : reset != raw.SQLITE_OK ? reset : result;
        }

        /// <summary>Runs a statement that returns at most one integer (<c>RETURNING "Id"</c>); null when it returned none.</summary>
        public long? ExecuteScalar()
        {
            long? value = null;
            var result = raw.sqlite3_step(_statement);
            if (result == raw.SQLITE_ROW)
            {
                value = raw.sqlite3_column_int64(_statement, 0);
                result = raw.sqlite3_step(_statement);
            }
            var reset = raw.sqlite3_reset(_statement);
            if (result != raw.SQLITE_DONE)
            {
                Check(reset != raw.SQLITE_OK ? reset : result);
            }
            return value;
        }

        private void Check(int result)
        {
            if (result != raw.SQLITE_OK)
            {
                SqliteException.ThrowExceptionForRC(result, _db);
            }
        }

        public void Dispose() => _statement.Dispose();
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
[System.Text.Json.Serialization.JsonSerializable(typeof(DeviceStatus))]
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<Finding>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<Finding>))]
internal sealed partial class IngestionJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
