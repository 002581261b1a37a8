using IntegrationHub.Gateway.Ingestion;

namespace IntegrationHub.Gateway.Alerts;

/// <summary>Wakes the alert engine when telemetry is committed; the engine reads what was committed from its own cursor.</summary>
internal sealed class AlertSignalObserver(AlertSignal signal) : ICommitObserver
{
    public void Committed(IReadOnlyList<CommittedMessage> messages)
    {
        if (messages.Count > 0)
        {
            signal.Notify();
        }
    }
}
