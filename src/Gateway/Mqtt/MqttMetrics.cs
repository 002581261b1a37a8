using System.Diagnostics.Metrics;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>MQTT counters: connected clients, messages in by outcome, publishes held back, messages out and dropped, refusals, and PUBACK latency.</summary>
internal sealed class MqttMetrics
{
    public const string MeterName = "IntegrationHub.Mqtt";

    private readonly UpDownCounter<long> _clients;
    private readonly Counter<long> _in;
    private readonly Counter<long> _out;
    private readonly Counter<long> _refused;
    private readonly Histogram<double> _puback;
    private readonly Counter<long> _dropped;
    private readonly UpDownCounter<long> _held;

    public MqttMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _clients = meter.CreateUpDownCounter<long>("ihub.mqtt.clients", "{client}", "Connected MQTT clients.");
        _in = meter.CreateCounter<long>("ihub.mqtt.publishes.in", "{publish}", "Ingest publishes by outcome.");
        _out = meter.CreateCounter<long>("ihub.mqtt.messages.out", "{message}", "Messages the hub published to its live topics.");
        _refused = meter.CreateCounter<long>("ihub.mqtt.refusals", "{refusal}", "Refused connections, publishes and subscriptions, by what was refused and why.");
        _dropped = meter.CreateCounter<long>("ihub.mqtt.messages.dropped", "{message}", "Messages dropped from a slow subscriber's full queue (its oldest first), so that it never stalls ingest.");
        _held = meter.CreateUpDownCounter<long>("ihub.mqtt.publishes.held", "{publish}", "Publishes whose connections read nothing further until the ingest writer has room (back-pressure).");
        _puback = meter.CreateHistogram<double>("ihub.mqtt.puback.duration", "s", "From receiving an ingest publish to its acknowledgement (after the durable write).");
    }

    public void Connected() => _clients.Add(1);

    public void Disconnected() => _clients.Add(-1);

    public void Publish(string outcome, TimeSpan elapsed)
    {
        _in.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        _puback.Record(elapsed.TotalSeconds);
    }

    public void Out() => _out.Add(1);

    /// <summary>A publish held back until the ingest writer has room; counted until the hold ends.</summary>
    public void Held(int change) => _held.Add(change);

    public void Dropped() => _dropped.Add(1);

    public void Refused(string what, string reason) =>
        _refused.Add(1, new KeyValuePair<string, object?>("what", what), new KeyValuePair<string, object?>("reason", reason));
}
