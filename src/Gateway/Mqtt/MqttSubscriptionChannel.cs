using System.Text;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Subscriptions;
using MQTTnet;
using MQTTnet.Protocol;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>
/// Subscriptions over MQTT: each event goes to <c>hub/v1/subscriptions/{id}</c> at QoS 1, in binary mode (the data as
/// payload, the attributes as MQTT 5 user properties under their plain names) or, for MQTT 3.1.1 receivers, structured
/// (the whole event as <c>application/cloudevents+json</c>). Only the subscription's organization may subscribe to the
/// topic. The broker queues for receivers with a persistent session; a receiver that was away longer rewinds.
/// </summary>
internal sealed class MqttSubscriptionChannel(IMqttPublisher broker, CloudEventFormat format) : IDeliveryChannel
{
    public SubscriptionChannel Channel => SubscriptionChannel.Mqtt;

    public int BatchSize(Subscription subscription) => 100;

    public async Task<DeliveryResult> DeliverAsync(Subscription subscription, IReadOnlyList<OutboxEvent> events, CancellationToken cancellationToken)
    {
        if (!broker.Running)
        {
            return DeliveryResult.Failed("The hub's MQTT broker is not running, or the external broker is not connected.");
        }
        foreach (var e in events)
        {
            var builder = new MqttApplicationMessageBuilder()
                .WithTopic(MqttTopics.Subscription(subscription.Id))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData);
            if (subscription.Mode == EventMode.Structured)
            {
                builder.WithPayload(format.Structured(e)).WithContentType(CloudEventFormat.StructuredMediaType);
            }
            else
            {
                builder.WithPayload(Encoding.UTF8.GetBytes(e.Data)).WithContentType(CloudEventFormat.DataMediaType);
                foreach (var (name, value) in format.Attributes(e))
                {
                    builder.WithUserProperty(name, Encoding.UTF8.GetBytes(value));
                }
            }
            await broker.PublishAsync(builder.Build(), cancellationToken);
        }
        return DeliveryResult.Success;
    }
}
