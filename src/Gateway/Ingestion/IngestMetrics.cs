using System.Diagnostics.Metrics;

namespace IntegrationHub.Gateway.Ingestion;

/// <summary>
/// Ingest counters: every message ends up counted as accepted, duplicate or rejected (with its code), and every
/// request refused before its messages were read is counted as discarded, with the reason. Nothing is dropped uncounted.
/// </summary>
internal sealed class IngestMetrics
{
    public const string MeterName = "IntegrationHub.Ingestion";

    /// <summary>The transports, as the metrics name them.</summary>
    public const string Http = "http", Mqtt = "mqtt";

    private readonly Counter<long> _messages;
    private readonly Counter<long> _rejections;
    private readonly Counter<long> _discarded;
    private readonly Counter<long> _observations;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _commits;
    private readonly Histogram<long> _groupMessages;
    private readonly Histogram<double> _commitDuration;

    public IngestMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _messages = meter.CreateCounter<long>("ihub.ingest.messages", "{message}", "Telemetry messages by outcome: accepted, duplicate or rejected.");
        _rejections = meter.CreateCounter<long>("ihub.ingest.rejections", "{finding}", "Findings that rejected messages, by error code.");
        _discarded = meter.CreateCounter<long>("ihub.ingest.discarded", "{request}", "Ingest requests refused whole, by error code.");
        _observations = meter.CreateCounter<long>("ihub.ingest.observations", "{observation}", "Observations stored.");
        _duration = meter.CreateHistogram<double>("ihub.ingest.duration", "s", "Time from reading a batch to its durable write.");
        _commits = meter.CreateCounter<long>("ihub.ingest.commits", "{commit}", "Group commits of the ingest writer, by the transports whose messages each held (http, mqtt, or http+mqtt).");
        _groupMessages = meter.CreateHistogram<long>("ihub.ingest.commit.messages", "{message}", "Messages per group commit.");
        _commitDuration = meter.CreateHistogram<double>("ihub.ingest.commit.duration", "s", "Time to write and commit one group.");
    }

    /// <summary>Reports the messages waiting for the writer, those it is writing, and how many it admits.</summary>
    public void ObserveQueue(Func<int> queued, Func<int> writing, int capacity)
    {
        var meter = _commits.Meter;
        meter.CreateObservableGauge("ihub.ingest.queued", queued, "{message}", "Messages admitted to the ingest writer and waiting for its next group.");
        meter.CreateObservableGauge("ihub.ingest.writing", writing, "{message}", "Messages in the group the ingest writer is writing now.");
        meter.CreateObservableGauge("ihub.ingest.queue.capacity", () => capacity, "{message}", "Messages the ingest writer holds (queued and writing) before HTTP answers 503 and MQTT stops reading publishes.");
    }

    public void Message(MessageOutcome outcome, string transport) =>
        _messages.Add(1, new KeyValuePair<string, object?>("outcome", outcome switch
        {
            MessageOutcome.Accepted => "accepted",
            MessageOutcome.Duplicate => "duplicate",
            _ => "rejected",
        }), new KeyValuePair<string, object?>("transport", transport));

    /// <summary>One group commit: its writes, its messages and how long it took.</summary>
    public void Committed(IReadOnlyList<IngestWrite> group, int messages, TimeSpan elapsed)
    {
        bool http = false, mqtt = false;
        foreach (var write in group)
        {
            http |= write.Transport == Http;
            mqtt |= write.Transport == Mqtt;
        }
        _commits.Add(1, new KeyValuePair<string, object?>("transports", (http, mqtt) switch
        {
            (true, true) => "http+mqtt",
            (true, false) => "http",
            _ => "mqtt",
        }));
        _groupMessages.Record(messages);
        _commitDuration.Record(elapsed.TotalSeconds);
    }

    public void Rejection(string code) => _rejections.Add(1, new KeyValuePair<string, object?>("code", code));

    public void Discarded(string code, string transport) =>
        _discarded.Add(1, new KeyValuePair<string, object?>("code", code), new KeyValuePair<string, object?>("transport", transport));

    public void Observations(int count) => _observations.Add(count);

    public void Duration(TimeSpan elapsed, string transport) => _duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("transport", transport));
}
