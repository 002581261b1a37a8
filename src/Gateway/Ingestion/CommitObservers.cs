using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Gateway.Ingestion;

/// <summary>
/// One accepted message as it was committed: its row in <c>messages</c> (the commit order every durable cursor
/// follows), who sent it, and what it says, normalized (its device registration included).
/// </summary>
internal sealed record CommittedMessage(long Row, Sender Sender, NormalizedMessage Message, DateTimeOffset ReceivedAt);

/// <summary>
/// A feature that acts on telemetry once it is durable. The writer calls every registered observer after each commit,
/// in commit order, from its own loop: an observer only hands the messages on (it never blocks, never throws, never
/// touches the database there). What an observer misses, a crash between commit and hand-over or a hand-over it could
/// not take, it recovers from its own durable cursor.
/// </summary>
internal interface ICommitObserver
{
    void Committed(IReadOnlyList<CommittedMessage> messages);
}
