using System.Buffers;
using IntegrationHub.Client.Events;
using MQTTnet;
using MQTTnet.Packets;

namespace IntegrationHub.Client.Mqtt;

/// <summary>Reading the hub's events from MQTTnet messages (a subscription's topic, the live topics).</summary>
public static class MqttCloudEvents
{
    /// <summary>The event a message of the hub carries, in binary (MQTT 5) or structured mode (see <see cref="CloudEvent.FromMqtt"/>).</summary>
    public static CloudEvent ToCloudEvent(this MqttApplicationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return CloudEvent.FromMqtt(message.UserProperties?.Select(p => KeyValuePair.Create(p.Name, p.ReadValueAsString())), message.ContentType, message.Payload.ToArray());
    }
}
