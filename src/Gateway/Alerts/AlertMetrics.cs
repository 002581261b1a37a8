using System.Diagnostics.Metrics;

namespace IntegrationHub.Gateway.Alerts;

/// <summary>
/// The alert engine's passes: how many committed, how many messages each evaluated, and how long each held its
/// transaction, which on SQLite is time the ingest writer cannot take the write lock.
/// </summary>
internal sealed class AlertMetrics
{
    public const string MeterName = "IntegrationHub.Alerts";

    private readonly Counter<long> _passes;
    private readonly Histogram<long> _messages;
    private readonly Histogram<double> _commit;

    public AlertMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _passes = meter.CreateCounter<long>("ihub.alerts.passes", "{pass}", "Committed passes of the alert engine, by what they evaluated (handed-over, stored, sweep or context).");
        _messages = meter.CreateHistogram<long>("ihub.alerts.pass.messages", "{message}", "Messages evaluated per committed pass.");
        _commit = meter.CreateHistogram<double>("ihub.alerts.pass.commit.duration", "s", "Time a pass's transaction took once begun: its writes and its commit.");
    }

    public void Committed(string source, int messages, TimeSpan held)
    {
        var tag = new KeyValuePair<string, object?>("source", source);
        _passes.Add(1, tag);
        // Sweeps and context passes evaluate no message: counted as passes, they stay out of the messages' percentiles.
        if (messages > 0)
        {
            _messages.Record(messages, tag);
        }
        _commit.Record(held.TotalSeconds, tag);
    }
}
