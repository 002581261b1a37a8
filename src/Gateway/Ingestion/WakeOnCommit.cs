namespace IntegrationHub.Gateway.Ingestion;

/// <summary>
/// A commit observer that only wakes a feature's own loop (the alert engine, the outbox's readers), which then reads
/// what was committed from its own cursor.
/// </summary>
internal sealed class WakeOnCommit(Action wake) : ICommitObserver
{
    public void Committed(IReadOnlyList<CommittedMessage> messages)
    {
        if (messages.Count > 0)
        {
            wake();
        }
    }
}
