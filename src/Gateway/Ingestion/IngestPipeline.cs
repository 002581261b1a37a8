using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Telemetry.Aggregates;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Ingestion;

/// <summary>The verdict on one message of a batch, as the sender is told it.</summary>
internal sealed record MessageResult(int Index, string? MessageId, string Status, string? Code, string? Pointer, IReadOnlyList<Finding>? Errors, long? QuarantineId);

/// <summary>The answer to a batch: counts and one result per message, in order.</summary>
internal sealed record BatchResult(int Accepted, int Duplicates, int Rejected, IReadOnlyList<MessageResult> Results);

/// <summary>How a sender takes room in the writer's queue.</summary>
internal enum QueueRoom
{
    /// <summary>Only if the queue has room; otherwise nothing is judged or stored, and HTTP answers 503.</summary>
    IfAvailable,

    /// <summary>Whatever the queue holds: for a sender bounded otherwise (an MQTT connection that waited for room, or the external broker's receive maximum).</summary>
    Always,
}

/// <summary>
/// validate → normalize → store for a batch of canonical messages, whatever transport brought them. The devices a batch
/// names come from the in-memory <see cref="DeviceRegistry"/>; every message is judged by the shared validator on the
/// sender's thread; the <see cref="IngestWriter"/> stores it in the next group commit. When the task returned
/// completes, everything it reports as accepted is durable. A bad message never costs another one its answer
/// (DESIGN §7.3): one the validator fails on, or whose write fails, is rejected alone.
/// </summary>
internal sealed partial class IngestPipeline(
    SpecCatalog spec,
    DeviceRegistry devices,
    IngestWriter writer,
    TimeProvider time,
    IOptions<IngestionOptions> options,
    IOptions<RetentionOptions> retention,
    IngestMetrics metrics,
    IEnumerable<IIngestAdmission> admissions,
    IEnumerable<IBatchObserver> observers,
    ILogger<IngestPipeline> logger)
{
    private readonly IIngestAdmission[] _admissions = [.. admissions];
    private readonly IBatchObserver[] _observers = [.. observers];

    // Retention deletes a message's observations, then its receipt, past its profile's age: nothing older is taken
    // (TEL-013), or a message sent again after that would be stored, and rolled up, a second time.
    private readonly FrozenDictionary<string, TimeSpan> _maxAge = retention.Value.RawByProfile(spec);

    // How old a message may be and still be looked up among the stored ones when it is sent again (MarkResends).
    private readonly FrozenDictionary<string, TimeSpan> _resendAge = retention.Value.RawByProfile(spec)
        .ToFrozenDictionary(p => p.Key, p => p.Value + retention.Value.ResendWindow, StringComparer.Ordinal);

    /// <summary>Why <paramref name="caller"/> may not send now, or null when it may.</summary>
    public IngestRefusal? Refuses(Caller caller)
    {
        foreach (var admission in _admissions)
        {
            if (admission.Refuses(caller) is { } refusal)
            {
                return refusal;
            }
        }
        return null;
    }

    /// <summary>
    /// Judges the messages and queues them for the writer, in the order callers call this (what a caller hands over one
    /// after another is stored in that order). The returned task completes with the answer once they are durable; the
    /// messages must stay readable until then. Null when <paramref name="room"/> is <see cref="QueueRoom.IfAvailable"/>
    /// and the queue is full: nothing was judged or stored.
    /// </summary>
    /// <param name="caller">The sending adapter.</param>
    /// <param name="messages">The messages, in the order sent.</param>
    /// <param name="transport">How they came (<c>http</c>, <c>mqtt</c>), for the metrics.</param>
    /// <param name="batched">
    /// Whether they came as a batch (<c>{"messages": [ … ]}</c>), whose findings point at <c>/messages/{i}/…</c>; the
    /// findings of a message sent on its own (an MQTT publish of one message) point into it from its root.
    /// </param>
    /// <param name="room">How to take room in the writer's queue.</param>
    /// <param name="cancellationToken">Stops the work before the messages are queued.</param>
    public async ValueTask<Task<BatchResult>?> SubmitAsync(
        Caller caller, IReadOnlyList<JsonElement> messages, string transport, bool batched, QueueRoom room, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        if (room == QueueRoom.Always)
        {
            writer.Reserve(messages.Count);
        }
        else if (!writer.TryReserve(messages.Count))
        {
            return null;
        }
        IngestWrite write;
        try
        {
            var registry = await devices.FindAsync(caller.OrganizationId, messages, cancellationToken);
            var receivedAt = time.GetUtcNow();
            var context = new ValidationContext
            {
                Now = receivedAt,
                MaxFutureSkew = options.Value.MaxFutureSkew,
                MaxAge = _maxAge,
                AdapterId = caller.ClientId,
                AllowedProfiles = caller.AllowedProfiles is null ? null : new HashSet<string>(caller.AllowedProfiles, StringComparer.Ordinal),
                Devices = registry,
            };
            var batch = new PendingMessage[messages.Count];
            for (var index = 0; index < messages.Count; index++)
            {
                batch[index] = Judge(messages[index], context);
            }
            MarkResends(messages, batch, context);
            write = IngestWrite.Judged(new Sender(caller.ClientId, caller.OrganizationId, caller.IsSandbox), transport, receivedAt, messages, batch);
            writer.Submit(write);
        }
        catch
        {
            writer.Unreserve(messages.Count);
            throw;
        }
        return AnswerAsync(caller, write, batched, started, cancellationToken);
    }

    /// <summary>
    /// Quarantines a body refused whole (not JSON, not a batch) in the next group commit; false when
    /// <paramref name="room"/> is <see cref="QueueRoom.IfAvailable"/> and the queue is full.
    /// </summary>
    public async Task<bool> QuarantineBodyAsync(Sender sender, string transport, Finding finding, ReadOnlyMemory<byte> payload, QueueRoom room)
    {
        if (room == QueueRoom.Always)
        {
            writer.Reserve(1);
        }
        else if (!writer.TryReserve(1))
        {
            return false;
        }
        var write = IngestWrite.RefusedBody(sender, transport, time.GetUtcNow(), finding, KeptPayload.Of(payload.Span));
        try
        {
            writer.Submit(write);
        }
        catch
        {
            writer.Unreserve(1);
            throw;
        }
        await write.Done;
        return true;
    }

    private async Task<BatchResult> AnswerAsync(Caller caller, IngestWrite write, bool batched, long started, CancellationToken cancellationToken)
    {
        var stored = await write.Done;
        var batch = write.Batch;
        foreach (var observer in _observers)
        {
            try
            {
                await observer.JudgedAsync(new JudgedBatch(caller, write.Transport, write.Messages, batch, stored, write.ReceivedAt), cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The batch is stored and is answered as such; what follows senders is told on a best-effort basis.
                ObserverFailed(logger, observer.GetType().Name, exception);
            }
        }

        var results = new MessageResult[batch.Length];
        int accepted = 0, duplicates = 0, rejected = 0, observations = 0;
        for (var i = 0; i < batch.Length; i++)
        {
            var outcome = stored[i];
            var verdict = batch[i].Verdict;
            switch (outcome.Outcome)
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
                    var prefix = batched ? "/messages/" + i.ToString(CultureInfo.InvariantCulture) : "";
                    var errors = verdict.Findings.Select(f => f with { Pointer = prefix + f.Pointer }).ToList();
                    foreach (var finding in verdict.Findings)
                    {
                        metrics.Rejection(finding.Code);
                    }
                    results[i] = new MessageResult(i, verdict.MessageId, "rejected", errors[0].Code, errors[0].Pointer, errors, outcome.QuarantineId);
                    break;
            }
            metrics.Message(outcome.Outcome, write.Transport);
        }
        metrics.Observations(observations);
        metrics.Duration(time.GetElapsedTime(started), write.Transport);
        return new BatchResult(accepted, duplicates, rejected, results);
    }

    /// <summary>
    /// A message refused only as too old (TEL-013) may be one the hub still stores, with its receipt, sent again near the
    /// boundary (an HTTP retry after a lost answer, an MQTT redelivery): retention waits for the roller and the alert
    /// engine, so a message just past its age may not be deleted yet. One that would pass with its age widened by
    /// <see cref="RetentionOptions.ResendWindow"/> is marked for the store, which answers it a duplicate if it holds the
    /// receipt and refuses it as too old otherwise, in the group's transaction: nothing is read here, and a device whose
    /// clock reset to 2000 costs no lookup at all. Past the window the refusal stands even for a receipt kept longer
    /// (one an alert cites): the message is not stored twice either way.
    /// </summary>
    private void MarkResends(IReadOnlyList<JsonElement> messages, PendingMessage[] batch, ValidationContext context)
    {
        ValidationContext? widened = null;
        for (var i = 0; i < batch.Length; i++)
        {
            if (batch[i].Verdict is not { IsValid: false, MessageId: not null } verdict || verdict.Findings.Count == 0 || !OnlyTooOld(verdict.Findings))
            {
                continue;
            }
            widened ??= new ValidationContext
            {
                Now = context.Now, MaxFutureSkew = context.MaxFutureSkew, MaxAge = _resendAge, AdapterId = context.AdapterId,
                AllowedProfiles = context.AllowedProfiles, Devices = context.Devices,
            };
            if (Judge(messages[i], widened).Verdict.IsValid)
            {
                batch[i] = batch[i] with { IfStored = true };
            }
        }
    }

    private static bool OnlyTooOld(IReadOnlyList<Finding> findings)
    {
        foreach (var finding in findings)
        {
            if (finding.Code != ErrorCodes.TimeTooOld)
            {
                return false;
            }
        }
        return true;
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
            return PendingMessage.NotStored(message, "The hub failed to judge this message.");
        }
        return new PendingMessage(verdict, verdict.IsValid ? null : PendingMessage.PayloadOf(message));
    }

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "The validator failed on a message; it is rejected as not stored")]
    private static partial void JudgingFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Error, Message = "Batch observer {Observer} failed")]
    private static partial void ObserverFailed(ILogger logger, string observer, Exception exception);
}
