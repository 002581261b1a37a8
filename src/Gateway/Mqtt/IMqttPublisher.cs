using MQTTnet;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>
/// Where the hub's own MQTT messages go (live observations, retained alerts, subscription channels, feedback): into the
/// embedded broker (<see cref="MqttBroker"/>), or to the external broker the hub is a client of
/// (<see cref="ExternalBrokerClient"/>), depending on <c>Mqtt:Mode</c>.
/// </summary>
internal interface IMqttPublisher
{
    /// <summary>Whether a message published now can reach subscribers (the embedded broker runs, or the external one is connected).</summary>
    bool Running { get; }

    Task PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken);
}
