using System.Text.Json;
using IntegrationHub.Gateway.Auth;

namespace IntegrationHub.Gateway.Ingestion;

/// <summary>Why a sender may not send now, as its problem's code and detail.</summary>
internal readonly record struct IngestRefusal(string Code, string Detail);

/// <summary>A feature with a say in whether a sender may send at all now, asked before anything it sent is read.</summary>
internal interface IIngestAdmission
{
    IngestRefusal? Refuses(Caller caller);
}

/// <summary>One request's or publish's messages as judged and stored, accepted, duplicate and rejected alike.</summary>
internal sealed record JudgedBatch(
    Caller Caller, string Transport, IReadOnlyList<JsonElement> Messages, IReadOnlyList<PendingMessage> Verdicts, IReadOnlyList<StoredMessage> Stored, DateTimeOffset ReceivedAt);

/// <summary>
/// A feature that follows what some senders send, each message with its verdict (certification sessions record what
/// arrives). Unlike an <see cref="ICommitObserver"/> it sees rejections and duplicates too, and it runs on the
/// request's path, after the durable write and before the sender is answered, so it may write to the database; for a
/// sender it does not follow it must cost nothing.
/// </summary>
internal interface IBatchObserver
{
    ValueTask JudgedAsync(JudgedBatch batch, CancellationToken cancellationToken);
}
