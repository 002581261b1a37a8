using IntegrationHub.Gateway.Telemetry;
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

    /// <summary>
    /// Whether the broker hands each receiver an event in the mode its protocol takes: binary on MQTT 5, structured on
    /// 3.1.1. The embedded broker does; an external broker passes messages on as published.
    /// </summary>
    bool AdaptsToReceivers { get; }

    /// <summary>
    /// Whether anyone may now read a live observation topic (<c>hub/v1/out/…</c>). Those messages are not retained, so
    /// while this is false one published would reach no one. The embedded broker knows its subscribers; an external
    /// broker's are unknown, so it answers true.
    /// </summary>
    bool HasLiveReaders { get; }

    Task PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// Publishes a message of the live topics, whose data has the visibility of <paramref name="row"/>: the embedded
    /// broker queues it only for receivers whose organization may read that row; an external broker leaves it to its ACL.
    /// </summary>
    Task PublishAsync(MqttApplicationMessage message, LiveRow row, CancellationToken cancellationToken);
}
