using IntegrationHub.Gateway.Ingestion;

namespace IntegrationHub.Gateway.Events;

/// <summary>
/// Wakes the outbox's readers when telemetry is committed: every accepted message wrote its observation event in the
/// same transaction, and every channel (webhooks, server-sent events, MQTT subscriptions and live topics) follows the outbox.
/// </summary>
internal sealed class OutboxSignalObserver(OutboxSignal signal) : ICommitObserver
{
    public void Committed(IReadOnlyList<CommittedMessage> messages)
    {
        if (messages.Count > 0)
        {
            signal.Fire();
        }
    }
}
