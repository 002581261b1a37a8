using System.Text.Json;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Ingestion;

/// <summary>What became of one message of a batch.</summary>
internal enum MessageOutcome
{
    Accepted,
    Duplicate,
    Rejected,
}

/// <summary>Who sent a batch, as the writer stamps it on every row.</summary>
internal sealed record Sender(string AdapterId, string OrganizationId, bool Sandbox);

/// <summary>One message of a batch as the writer sees it: the verdict and, for a rejection, what was sent (its JSON's bytes).</summary>
internal readonly record struct PendingMessage(MessageVerdict Verdict, byte[]? Payload);

/// <summary>
/// The durable write of a batch: accepted messages with their observations, latest values and observation events, and
/// rejected messages into the quarantine, in one transaction. The caller acknowledges only after this returns. A message id the adapter
/// has sent before is answered as a duplicate and stored once (the unique key decides, so concurrent re-sends agree).
/// This is the provider-specific part of ingest: SQLite here; PostgreSQL will bring its own writer (binary COPY).
/// </summary>
internal sealed partial class TelemetryWriter(HubDb db, IOptions<HubOptions> hub, IOptions<FaultOptions> faults, ILogger<TelemetryWriter> logger)
{
    private const string InsertMessageSql = """
        INSERT INTO messages (AdapterId, MessageId, DeviceKey, ObservedAt, ReceivedAt, Lon, Lat, State, Status)
        VALUES ($adapter, $message, $device, $observed, $received, $lon, $lat, $state, $status)
        ON CONFLICT (AdapterId, MessageId) DO NOTHING
        RETURNING Id
        """;

    private const string InsertObservationSql = """
        INSERT INTO observations (MessageRecordId, DeviceKey, OrganizationId, DeviceId, ProfileId, Domain, District, Sandbox, Metric, Number, Text, Unit, ObservedAt, ReceivedAt)
        VALUES ($messageRow, $device, $organization, $deviceId, $profile, $domain, $district, $sandbox, $metric, $number, $text, $unit, $observed, $received)
        """;

    // The latest value only moves forward in observation time: a late, older message is stored but does not replace it.
    private const string UpsertLatestSql = """
        INSERT INTO latest_values (DeviceKey, Metric, OrganizationId, DeviceId, ProfileId, Domain, District, Sandbox, Number, Text, Unit, ObservedAt, ReceivedAt)
        VALUES ($device, $metric, $organization, $deviceId, $profile, $domain, $district, $sandbox, $number, $text, $unit, $observed, $received)
        ON CONFLICT (DeviceKey, Metric) DO UPDATE SET
            ProfileId = excluded.ProfileId, Domain = excluded.Domain, District = excluded.District, Sandbox = excluded.Sandbox,
            Number = excluded.Number, Text = excluded.Text, Unit = excluded.Unit, ObservedAt = excluded.ObservedAt, ReceivedAt = excluded.ReceivedAt
        WHERE excluded.ObservedAt >= latest_values.ObservedAt
        """;

    // Each accepted message is announced to subscribers in its own transaction (EVT-001).
    private const string InsertEventSql = """
        INSERT INTO outbox (Type, Source, Subject, Time, OrganizationId, Sandbox, Domain, District, Profile, DeviceKey, Data)
        VALUES ($type, $source, $subject, $time, $organization, $sandbox, $domain, $district, $profile, $device, $data)
        """;

    private const string InsertQuarantineSql = """
        INSERT INTO quarantine (OrganizationId, AdapterId, ReceivedAt, MessageId, DeviceId, Errors, Payload, PayloadBytes, PayloadTruncated)
        VALUES ($organization, $adapter, $received, $message, $deviceId, $errors, $payload, $bytes, $truncated)
        RETURNING Id
        """;

    /// <summary>Writes a batch; returns each message's outcome and, for rejections, its quarantine id.</summary>
    public async Task<(MessageOutcome Outcome, long? QuarantineId)[]> WriteAsync(Sender sender, IReadOnlyList<PendingMessage> batch, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        var results = new (MessageOutcome, long?)[batch.Count];
        var received = receivedAt.ToUnixTimeMilliseconds();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = (SqliteConnection)db.Database.GetDbConnection();
            using var transaction = connection.BeginTransaction(deferred: false);
            using var message = Command(connection, transaction, InsertMessageSql, "$adapter", "$message", "$device", "$observed", "$received", "$lon", "$lat", "$state", "$status");
            using var observation = Command(connection, transaction, InsertObservationSql, "$messageRow", "$device", "$organization", "$deviceId", "$profile", "$domain", "$district", "$sandbox", "$metric", "$number", "$text", "$unit", "$observed", "$received");
            using var latest = Command(connection, transaction, UpsertLatestSql, "$device", "$metric", "$organization", "$deviceId", "$profile", "$domain", "$district", "$sandbox", "$number", "$text", "$unit", "$observed", "$received");
            using var announce = Command(connection, transaction, InsertEventSql, "$type", "$source", "$subject", "$time", "$organization", "$sandbox", "$domain", "$district", "$profile", "$device", "$data");
            using var quarantine = QuarantineCommand(connection, transaction);
            var source = EventTypes.Source(hub.Value.Id, "telemetry");

            for (var i = 0; i < batch.Count; i++)
            {
                var verdict = batch[i].Verdict;
                if (verdict.Message is not { } accepted)
                {
                    results[i] = (MessageOutcome.Rejected, Quarantine(quarantine, sender, received, verdict.MessageId, verdict.DeviceId, verdict.Findings, batch[i].Payload));
                    continue;
                }
                var device = accepted.Device ?? throw new InvalidOperationException("The hub validates with its device registry, so every accepted message has a device.");
                if (accepted.MessageId == faults.Value.FailWriteOfMessageId)
                {
                    throw new SqliteException($"Fault point: the store refuses message {accepted.MessageId}.", 19); // SQLITE_CONSTRAINT
                }
                var observed = accepted.Time.ToUnixTimeMilliseconds();
                Bind(message, sender.AdapterId, accepted.MessageId, device.Key, observed, received, accepted.Location?.Lon, accepted.Location?.Lat, accepted.Status?.State,
                    accepted.Status is null ? null : JsonSerializer.Serialize(accepted.Status, IngestionJsonContext.Default.DeviceStatus));
                if (message.ExecuteScalar() is not long messageRow)
                {
                    results[i] = (MessageOutcome.Duplicate, null);
                    continue;
                }
                foreach (var value in accepted.Observations)
                {
                    Bind(observation, messageRow, device.Key, sender.OrganizationId, device.DeviceId, accepted.Profile.Id, accepted.Profile.Domain, device.District, sender.Sandbox,
                        value.Metric, value.Number, value.Text, value.Unit, observed, received);
                    observation.ExecuteNonQuery();
                    Bind(latest, device.Key, value.Metric, sender.OrganizationId, device.DeviceId, accepted.Profile.Id, accepted.Profile.Domain, device.District, sender.Sandbox,
                        value.Number, value.Text, value.Unit, observed, received);
                    latest.ExecuteNonQuery();
                }
                var district = device.District ?? "";
                Bind(announce, EventTypes.Observation, source, $"{sender.OrganizationId}/{device.DeviceId}", received, sender.OrganizationId, sender.Sandbox,
                    accepted.Profile.Domain, district, accepted.Profile.Id, device.Key, ObservationEvents.Data(sender, accepted, district, receivedAt));
                announce.ExecuteNonQuery();
                results[i] = (MessageOutcome.Accepted, null);
            }
            if (faults.Value.HoldIngestCommit)
            {
                HoldingCommit(logger);
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            transaction.Commit();
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
        return results;
    }

    /// <summary>Quarantines a request body rejected whole (not JSON, not a batch), with its one finding.</summary>
    public async Task<long> QuarantineBodyAsync(Sender sender, Finding finding, ReadOnlyMemory<byte> payload, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = (SqliteConnection)db.Database.GetDbConnection();
            using var command = QuarantineCommand(connection, null);
            return Quarantine(command, sender, receivedAt.ToUnixTimeMilliseconds(), null, null, [finding], payload.Span);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static SqliteCommand QuarantineCommand(SqliteConnection connection, SqliteTransaction? transaction) =>
        Command(connection, transaction, InsertQuarantineSql, "$organization", "$adapter", "$received", "$message", "$deviceId", "$errors", "$payload", "$bytes", "$truncated");

    private static long Quarantine(SqliteCommand command, Sender sender, long received, string? messageId, string? deviceId, IReadOnlyList<Finding> findings, ReadOnlySpan<byte> payload)
    {
        var kept = KeptPayload.Of(payload);
        Bind(command, sender.OrganizationId, sender.AdapterId, received, messageId, deviceId,
            JsonSerializer.Serialize(findings, IngestionJsonContext.Default.IReadOnlyListFinding), kept.Text, kept.Bytes, kept.Truncated);
        return (long)command.ExecuteScalar()!;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params string[] parameters)
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

    private static void Bind(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }
    }
}

internal sealed partial class TelemetryWriter
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Fault point: holding the ingest commit")]
    private static partial void HoldingCommit(ILogger logger);
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
[System.Text.Json.Serialization.JsonSerializable(typeof(DeviceStatus))]
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<Finding>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<Finding>))]
internal sealed partial class IngestionJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
