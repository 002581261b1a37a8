using System.Globalization;
using System.Text;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Organizations;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>
/// Announces alert steps on <c>hub/v1/alerts/{district}/{domain}/{deviceId}</c>, retained, so that the retained
/// message is the device's latest alert step. The level travels in the payload and as the <c>level</c> property.
/// Sandbox alerts stay home.
/// </summary>
internal sealed partial class MqttAlertStream(IMqttPublisher broker, ILogger<MqttAlertStream> logger) : IAlertStream
{
    public async Task PublishAsync(IReadOnlyList<AlertAnnouncement> steps, CancellationToken cancellationToken)
    {
        if (!broker.Running)
        {
            return;
        }
        foreach (var (alert, step, outbox) in steps)
        {
            if (alert.Sandbox)
            {
                continue;
            }
            // The same event the outbox delivers (EVT-001), with the same id, so subscribers de-duplicate across channels.
            var message = LiveMessages.Build(
                MqttTopics.Alerts(alert.District, alert.Domain, alert.DeviceId),
                Encoding.UTF8.GetBytes(outbox.Data),
                id: outbox.Id.ToString(CultureInfo.InvariantCulture),
                type: outbox.Type,
                source: outbox.Source,
                subject: outbox.Subject,
                time: DateTimeOffset.FromUnixTimeMilliseconds(outbox.Time),
                new LiveRowValues(alert.OrganizationId, alert.Domain, alert.District, alert.Sandbox),
                retain: true,
                level: step.Level.ToWire(),
                responsible: alert.ResponsibleOrganizationId);
            try
            {
                await broker.PublishAsync(message, cancellationToken);
            }
            catch (Exception e) when (e is InvalidOperationException or MQTTnet.Exceptions.MqttCommunicationException)
            {
                // The live topic is a convenience beside the outbox, which delivers the same event reliably: the step stands.
                PublishFailed(logger, message.Topic, e);
            }
        }
    }

    [LoggerMessage(EventId = 4011, Level = LogLevel.Warning, Message = "Could not announce an alert step on {Topic}")]
    private static partial void PublishFailed(ILogger logger, string topic, Exception exception);
}
