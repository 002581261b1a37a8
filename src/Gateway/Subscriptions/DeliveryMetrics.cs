using System.Diagnostics.Metrics;

namespace IntegrationHub.Gateway.Subscriptions;

/// <summary>Delivery counters: attempts by channel and outcome, events delivered and dead-lettered, ingest-to-delivery latency.</summary>
internal sealed class DeliveryMetrics
{
    public const string MeterName = "IntegrationHub.Subscriptions";

    private readonly Counter<long> _attempts;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _deadLettered;
    private readonly Histogram<double> _latency;

    public DeliveryMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _attempts = meter.CreateCounter<long>("ihub.delivery.attempts", "{attempt}", "Delivery attempts by channel and outcome (delivered, failed).");
        _delivered = meter.CreateCounter<long>("ihub.delivery.events", "{event}", "Events delivered, by channel.");
        _deadLettered = meter.CreateCounter<long>("ihub.delivery.dead_letters", "{event}", "Events given up on after their attempts, by channel.");
        _latency = meter.CreateHistogram<double>("ihub.delivery.latency", "s", "From an event's time on the hub to its acknowledged delivery.");
    }

    public void Attempt(SubscriptionChannel channel, bool delivered) =>
        _attempts.Add(1, new("channel", Name(channel)), new("outcome", delivered ? "delivered" : "failed"));

    public void Delivered(SubscriptionChannel channel, int events, TimeSpan latency)
    {
        _delivered.Add(events, new KeyValuePair<string, object?>("channel", Name(channel)));
        _latency.Record(latency.TotalSeconds, new KeyValuePair<string, object?>("channel", Name(channel)));
    }

    public void DeadLettered(SubscriptionChannel channel, int events) => _deadLettered.Add(events, new KeyValuePair<string, object?>("channel", Name(channel)));

    private static string Name(SubscriptionChannel channel) => channel.ToString().ToLowerInvariant();
}
