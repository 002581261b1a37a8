using System.Runtime.InteropServices;
using System.Text.Json;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Ingestion;

/// <summary>The verdict on one message of a batch, as the sender is told it.</summary>
internal sealed record MessageResult(int Index, string? MessageId, string Status, string? Code, string? Pointer, IReadOnlyList<Finding>? Errors, long? QuarantineId);

/// <summary>The answer to a batch: counts and one result per message, in order.</summary>
internal sealed record BatchResult(int Accepted, int Duplicates, int Rejected, IReadOnlyList<MessageResult> Results);

/// <summary>
/// validate → normalize → store for a batch of canonical messages, whatever transport brought them. The devices a
/// batch names are read in one query; every message is judged by the shared validator; the writer stores the batch
/// in one transaction. When this returns, everything it reports as accepted is durable. A bad message never costs
/// another one its answer (DESIGN §7.3): one the validator fails on, or whose write fails, is rejected alone.
/// </summary>
internal sealed partial class IngestPipeline(
    SpecCatalog spec,
    HubDb db,
    TelemetryWriter writer,
    TimeProvider time,
    IOptions<IngestionOptions> options,
    IngestMetrics metrics,
    AlertSignal alerts,
    OutboxSignal events,
    Certification.CertificationSessions certifications,
    ILogger<IngestPipeline> logger)
{
    /// <param name="caller">The sending adapter.</param>
    /// <param name="messages">The messages, in the order sent.</param>
    /// <param name="transport">How they came (<c>http</c>, <c>mqtt</c>), for the metrics.</param>
    /// <param name="batched">
    /// Whether they came as a batch (<c>{"messages": [ … ]}</c>), whose findings point at <c>/messages/{i}/…</c>; the
    /// findings of a message sent on its own (an MQTT publish of one message) point into it from its root.
    /// </param>
    /// <param name="cancellationToken">Stops the work before the write.</param>
    public async Task<BatchResult> IngestAsync(Caller caller, IReadOnlyList<JsonElement> messages, string transport, bool batched, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var receivedAt = time.GetUtcNow();
        var devices = await LoadDevicesAsync(caller.OrganizationId, messages, cancellationToken);
        var context = new ValidationContext
        {
            Now = receivedAt,
            MaxFutureSkew = options.Value.MaxFutureSkew,
            AdapterId = caller.ClientId,
            AllowedProfiles = caller.AllowedProfiles is null ? null : new HashSet<string>(caller.AllowedProfiles, StringComparer.Ordinal),
            Devices = devices,
        };

        var batch = new PendingMessage[messages.Count];
        for (var index = 0; index < messages.Count; index++)
        {
            batch[index] = Judge(messages[index], context);
        }

        var sender = new Sender(caller.ClientId, caller.OrganizationId, caller.IsSandbox);
        var outcomes = await WriteAsync(sender, messages, batch, receivedAt, cancellationToken);
        alerts.Notify();
        // Every channel (webhooks, server-sent events, MQTT subscriptions and live topics) follows the outbox from here.
        events.Fire();
        await certifications.RecordAsync(db, caller, transport, messages, batch, outcomes, receivedAt, cancellationToken);

        var results = new MessageResult[batch.Length];
        int accepted = 0, duplicates = 0, rejected = 0, observations = 0;
        for (var i = 0; i < batch.Length; i++)
        {
            var (outcome, quarantineId) = outcomes[i];
            var verdict = batch[i].Verdict;
            switch (outcome)
            {
                case MessageOutcome.Accepted:
                    accepted++;
                    observations += verdict.Message!.Observations.Length;
                    results[i] = new MessageResult(i, verdict.MessageId, "accepted", null, null, null, null);
                    break;
                case MessageOutcome.Duplicate:
                    duplicates++;
                    results[i] = new MessageResult(i, verdict.MessageId, "duplicate", null, null, null, null);
                    break;
                default:
                    rejected++;
                    var prefix = batched ? "/messages/" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
                    var errors = verdict.Findings.Select(f => f with { Pointer = prefix + f.Pointer }).ToList();
                    foreach (var finding in verdict.Findings)
                    {
                        metrics.Rejection(finding.Code);
                    }
                    results[i] = new MessageResult(i, verdict.MessageId, "rejected", errors[0].Code, errors[0].Pointer, errors, quarantineId);
                    break;
            }
            metrics.Message(outcome.ToString().ToLowerInvariant(), transport);
        }
        metrics.Observations(observations);
        metrics.Duration(time.GetElapsedTime(started), transport);
        return new BatchResult(accepted, duplicates, rejected, results);
    }

    /// <summary>The validator's verdict; should it fail on the message, the message is refused, not the batch.</summary>
    private PendingMessage Judge(JsonElement message, ValidationContext context)
    {
        MessageVerdict verdict;
        try
        {
            verdict = spec.Validator.Validate(message, context);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            JudgingFailed(logger, exception);
            verdict = NotStored(message, "The hub failed to judge this message.");
        }
        return new PendingMessage(verdict, verdict.IsValid ? null : Payload(message));
    }

    /// <summary>
    /// The batch in one transaction. Should that fail, one message may be the cause (data the store refuses): each is
    /// then written alone, and one whose own write fails is quarantined as not stored, so that it costs no other
    /// message its answer. Should its quarantine fail too, the store itself is failing, and so does the batch.
    /// </summary>
    private async Task<(MessageOutcome Outcome, long? QuarantineId)[]> WriteAsync(
        Sender sender, IReadOnlyList<JsonElement> messages, PendingMessage[] batch, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        try
        {
            return await writer.WriteAsync(sender, batch, receivedAt, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            BatchWriteFailed(logger, batch.Length, exception);
        }
        var outcomes = new (MessageOutcome, long?)[batch.Length];
        for (var i = 0; i < batch.Length; i++)
        {
            try
            {
                outcomes[i] = (await writer.WriteAsync(sender, [batch[i]], receivedAt, cancellationToken))[0];
            }
            catch (Exception exception) when (exception is not OperationCanceledException && batch[i].Verdict.IsValid)
            {
                MessageWriteFailed(logger, batch[i].Verdict.MessageId, exception);
                batch[i] = new PendingMessage(NotStored(messages[i], "The hub failed to store this message."), Payload(messages[i]));
                outcomes[i] = (await writer.WriteAsync(sender, [batch[i]], receivedAt, cancellationToken))[0];
            }
        }
        return outcomes;
    }

    private static MessageVerdict NotStored(JsonElement message, string detail) =>
        MessageVerdict.Rejected(
            [new Finding(ErrorCodes.NotStored, "", detail + " It is kept in the quarantine; send it again later, and report the quarantine id if it is refused again.")],
            JsonText.ReadString(message, "messageId"u8),
            JsonText.ReadString(message, "deviceId"u8));

    /// <summary>What was sent, byte for byte: text that is not UTF-8 could not be read back as a string.</summary>
    private static byte[] Payload(JsonElement message) => JsonMarshal.GetRawUtf8Value(message).ToArray();

    private async Task<DeviceLookup> LoadDevicesAsync(string organizationId, IReadOnlyList<JsonElement> messages, CancellationToken cancellationToken)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in messages)
        {
            if (JsonText.ReadString(message, "deviceId"u8) is { } id)
            {
                ids.Add(id);
            }
        }
        var rows = await db.Devices.AsNoTracking()
            .Where(d => d.OrganizationId == organizationId && ids.Contains(d.DeviceId))
            .Select(d => new { d.Key, d.DeviceId, d.AdapterId, d.ProfileId, d.District, d.Group, d.Parameters })
            .ToListAsync(cancellationToken);
        var site = await SiteParameters.LoadAsync(db, rows.Select(d => d.ProfileId).Distinct().ToList(), cancellationToken);
        return new DeviceLookup(rows.ToDictionary(
            d => d.DeviceId,
            d => new DeviceRegistration
            {
                Key = d.Key,
                DeviceId = d.DeviceId,
                AdapterId = d.AdapterId,
                ProfileId = d.ProfileId,
                District = d.District,
                Parameters = site.For(organizationId, d.ProfileId, d.District, d.Group, d.Parameters),
            },
            StringComparer.Ordinal));
    }

    private sealed class DeviceLookup(Dictionary<string, DeviceRegistration> devices) : IDeviceDirectory
    {
        public DeviceRegistration? Find(string deviceId) => devices.GetValueOrDefault(deviceId);
    }
}

internal sealed partial class IngestPipeline
{
    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "The validator failed on a message; it is rejected as not stored")]
    private static partial void JudgingFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Writing a batch of {Count} messages failed; writing each alone")]
    private static partial void BatchWriteFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "Writing message {MessageId} failed; it is quarantined as not stored")]
    private static partial void MessageWriteFailed(ILogger logger, string? messageId, Exception exception);
}
