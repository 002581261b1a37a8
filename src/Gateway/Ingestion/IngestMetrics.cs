using System.Diagnostics.Metrics;

namespace IntegrationHub.Gateway.Ingestion;

/// <summary>
/// Ingest counters: every message ends up counted as accepted, duplicate or rejected (with its code), and every
/// request refused before its messages were read is counted as discarded, with the reason. Nothing is dropped uncounted.
/// </summary>
internal sealed class IngestMetrics
{
    public const string MeterName = "IntegrationHub.Ingestion";

    private readonly Counter<long> _messages;
    private readonly Counter<long> _rejections;
    private readonly Counter<long> _discarded;
    private readonly Counter<long> _observations;
    private readonly Histogram<double> _duration;

    public IngestMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _messages = meter.CreateCounter<long>("ihub.ingest.messages", "{message}", "Telemetry messages by outcome: accepted, duplicate or rejected.");
        _rejections = meter.CreateCounter<long>("ihub.ingest.rejections", "{finding}", "Findings that rejected messages, by error code.");
        _discarded = meter.CreateCounter<long>("ihub.ingest.discarded", "{request}", "Ingest requests refused whole, by error code.");
        _observations = meter.CreateCounter<long>("ihub.ingest.observations", "{observation}", "Observations stored.");
        _duration = meter.CreateHistogram<double>("ihub.ingest.duration", "s", "Time from reading a batch to its durable write.");
    }

    public void Message(string outcome, string transport) =>
        _messages.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("transport", transport));

    public void Rejection(string code) => _rejections.Add(1, new KeyValuePair<string, object?>("code", code));

    public void Discarded(string code, string transport) =>
        _discarded.Add(1, new KeyValuePair<string, object?>("code", code), new KeyValuePair<string, object?>("transport", transport));

    public void Observations(int count) => _observations.Add(count);

    public void Duration(TimeSpan elapsed, string transport) => _duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("transport", transport));
}
