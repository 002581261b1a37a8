using System.Runtime.CompilerServices;
using System.Text;
using IntegrationHub.Gateway.Events;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>
/// Outbox events as MQTT messages (EVT-003), for every topic that carries events: the live topics and the subscription
/// topics. Binary mode is the MQTT 5 form: the data is the payload, its media type the Content Type property, and the
/// attributes are user properties under their plain names (no <c>ce-</c> prefix). Structured mode is the whole event as
/// <c>application/cloudevents+json</c>, the form for MQTT 3.1.1, which has no properties. Either way the attributes and
/// data are the outbox event's, as webhooks and server-sent events carry them.
/// </summary>
internal sealed class MqttEvents(CloudEventFormat format)
{
    // An event's attributes as user property values, encoded once for every topic that carries it.
    private readonly ConditionalWeakTable<OutboxEvent, (string Name, byte[] Value)[]> _properties = [];

    public MqttApplicationMessage Binary(string topic, OutboxEvent e, bool retain = false)
    {
        var builder = Message(topic, retain).WithPayload(e.Data).WithContentType(CloudEventFormat.DataMediaType);
        foreach (var (name, value) in _properties.GetValue(e, PropertiesOf))
        {
            builder.WithUserProperty(name, value);
        }
        return builder.Build();
    }

    private (string Name, byte[] Value)[] PropertiesOf(OutboxEvent e) => [.. format.Attributes(e).Select(a => (a.Key, Encoding.UTF8.GetBytes(a.Value)))];

    public MqttApplicationMessage Structured(string topic, OutboxEvent e, bool retain = false) =>
        Message(topic, retain).WithPayload(format.Structured(e)).WithContentType(CloudEventFormat.StructuredMediaType).Build();

    /// <summary>
    /// The packet an MQTT 3.1.1 receiver gets for a binary-mode event: its attributes, which 3.1.1 cannot carry as
    /// properties, move into the payload beside the data (structured mode). Other packets stay as they are.
    /// </summary>
    public static MqttPublishPacket ForMqtt311(MqttPublishPacket packet)
    {
        if (packet.UserProperties is not { Count: > 0 } properties || packet.ContentType != CloudEventFormat.DataMediaType
            || !properties.Exists(p => p.Name == "specversion"))
        {
            return packet;
        }
        // A copy: the broker shares the queued packet's payload and properties with the message's other receivers, and
        // keeps the packet to send again after a reconnect.
        return new MqttPublishPacket
        {
            Topic = packet.Topic,
            Payload = new(CloudEventFormat.Structured(properties.Select(p => KeyValuePair.Create(p.Name, p.ReadValueAsString())), packet.Payload)),
            ContentType = CloudEventFormat.StructuredMediaType,
            PayloadFormatIndicator = MqttPayloadFormatIndicator.CharacterData,
            QualityOfServiceLevel = packet.QualityOfServiceLevel,
            PacketIdentifier = packet.PacketIdentifier,
            Retain = packet.Retain,
            Dup = packet.Dup,
        };
    }

    private static MqttApplicationMessageBuilder Message(string topic, bool retain) =>
        new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
            .WithRetainFlag(retain);
}
