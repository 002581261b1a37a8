using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Subscriptions;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>
/// Subscriptions over MQTT: each event goes to <c>hub/v1/subscriptions/{id}</c> at QoS 1, in the mode the subscription
/// names: binary (the data as payload, the attributes as MQTT 5 user properties under their plain names) or structured
/// (the whole event as <c>application/cloudevents+json</c>). The embedded broker hands a binary-mode event to an MQTT
/// 3.1.1 receiver in structured mode, since 3.1.1 has no properties; an external broker cannot, so there a 3.1.1
/// receiver needs a structured subscription. Only the subscription's organization may subscribe to the topic. The broker
/// queues for receivers with a persistent session; a receiver that was away longer rewinds.
/// </summary>
internal sealed class MqttSubscriptionChannel(IMqttPublisher broker, MqttEvents events) : IDeliveryChannel
{
    public SubscriptionChannel Channel => SubscriptionChannel.Mqtt;

    public int BatchSize(Subscription subscription) => 100;

    public async Task<DeliveryResult> DeliverAsync(Subscription subscription, IReadOnlyList<OutboxEvent> batch, CancellationToken cancellationToken)
    {
        if (!broker.Running)
        {
            return DeliveryResult.Failed("The hub's MQTT broker is not running, or the external broker is not connected.");
        }
        var topic = MqttTopics.Subscription(subscription.Id);
        foreach (var e in batch)
        {
            var message = subscription.Mode == EventMode.Structured ? events.Structured(topic, e) : events.Binary(topic, e);
            await broker.PublishAsync(message, cancellationToken);
        }
        return DeliveryResult.Success;
    }
}
