using System.Runtime.InteropServices;
using System.Text.Json;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;

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

/// <summary>
/// One message of a batch as the writer sees it: the verdict and, for a rejection, what was sent (its JSON's bytes).
/// <see cref="IfStored"/> marks a rejection that is a duplicate instead should the adapter's receipt of its message id be
/// held (a message refused as too old that may be stored from before: IngestPipeline.MarkResends).
/// </summary>
internal readonly record struct PendingMessage(MessageVerdict Verdict, byte[]? Payload, bool IfStored = false)
{
    /// <summary>A message the hub failed to judge or to store: rejected as not stored, and kept in the quarantine as sent.</summary>
    public static PendingMessage NotStored(JsonElement message, string detail) =>
        new(MessageVerdict.Rejected(
                [new Finding(ErrorCodes.NotStored, "", detail + " It is kept in the quarantine; send it again later, and report the quarantine id if it is refused again.")],
                JsonText.ReadString(message, "messageId"u8),
                JsonText.ReadString(message, "deviceId"u8)),
            PayloadOf(message));

    /// <summary>What was sent, byte for byte: text that is not UTF-8 could not be read back as a string.</summary>
    public static byte[] PayloadOf(JsonElement message) => JsonMarshal.GetRawUtf8Value(message).ToArray();
}

/// <summary>
/// What the store made of one message: accepted as row <see cref="Row"/> of <c>messages</c>, a duplicate of one stored
/// before, or rejected into the quarantine as entry <see cref="QuarantineId"/>.
/// </summary>
internal readonly record struct StoredMessage(MessageOutcome Outcome, long Row, long? QuarantineId)
{
    public static readonly StoredMessage Duplicate = new(MessageOutcome.Duplicate, 0, null);

    public static StoredMessage Accepted(long row) => new(MessageOutcome.Accepted, row, null);

    public static StoredMessage Rejected(long quarantineId) => new(MessageOutcome.Rejected, 0, quarantineId);
}

/// <summary>
/// The durable side of ingest, one implementation per database provider (SqliteIngestStore, PostgreSqlIngestStore). The
/// <see cref="IngestWriter"/> holds one session for its whole life and writes every group commit through it; what is
/// provider-neutral (grouping, isolating a failing message, acknowledging) stays in the writer. Implementations raise
/// <see cref="System.Data.Common.DbException"/> for what the database refuses.
/// </summary>
internal interface IIngestStore
{
    /// <summary>Opens the writer's own connection with its statements prepared once, for every commit to reuse.</summary>
    IIngestSession Open();
}

/// <summary>
/// One connection's writes. A group is written between <see cref="Begin"/> and <see cref="Commit"/>; savepoints nest
/// inside it, so that the writer can undo one batch, or one message, and keep the rest of the group. A session whose
/// transaction or connection failed is disposed and another opened.
/// </summary>
internal interface IIngestSession : IDisposable
{
    /// <summary>Begins the group's transaction, taking the database's write lock.</summary>
    void Begin();

    /// <summary>Makes the group durable; when this returns, everything written since <see cref="Begin"/> survives a crash.</summary>
    void Commit();

    /// <summary>Drops the group's transaction, everything in it.</summary>
    void Rollback();

    /// <summary>Opens a savepoint named <paramref name="name"/> (a constant the writer chooses) inside the transaction.</summary>
    void Savepoint(string name);

    /// <summary>Keeps what was written since the savepoint, as part of the transaction.</summary>
    void Release(string name);

    /// <summary>Undoes what was written since the savepoint, and releases it.</summary>
    void RollbackTo(string name);

    /// <summary>
    /// Writes a batch's messages: each accepted one with its observations, latest values and observation event, each
    /// rejected one into the quarantine; a message id the adapter has stored before is a duplicate, stored once (the
    /// unique key decides, so two copies in one group agree too). A rejection marked <see cref="PendingMessage.IfStored"/>
    /// is a duplicate if the receipt is there when the transaction looks, and quarantined otherwise; it is never inserted,
    /// so retention deleting the receipt meanwhile changes only which of the two true answers it gets. Should it throw, part of the batch may be written:
    /// the writer rolls back to its savepoint.
    /// </summary>
    void Write(Sender sender, IReadOnlyList<PendingMessage> batch, DateTimeOffset receivedAt, Span<StoredMessage> stored);

    /// <summary>Quarantines a body rejected whole (not JSON, not a batch), with its one finding; returns the entry's id.</summary>
    long QuarantineBody(Sender sender, Finding finding, KeptPayload payload, DateTimeOffset receivedAt);
}
