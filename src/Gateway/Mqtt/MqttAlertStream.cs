using System.Text.Json;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Organizations;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>
/// Announces alert steps on <c>hub/v1/alerts/{district}/{domain}/{deviceId}</c>, retained, so that the retained
/// message is the device's latest alert step. The level travels in the payload and as the <c>level</c> property.
/// Sandbox alerts stay home.
/// </summary>
internal sealed class MqttAlertStream(MqttBroker broker) : IAlertStream
{
    public async Task PublishAsync(IReadOnlyList<AlertEvent> steps, CancellationToken cancellationToken)
    {
        if (!broker.Running)
        {
            return;
        }
        foreach (var step in steps)
        {
            var alert = step.Alert!;
            if (alert.Sandbox)
            {
                continue;
            }
            var data = JsonSerializer.SerializeToUtf8Bytes(new
            {
                alertId = alert.Id,
                alert = alert.Identifier,
                kind = step.Kind,
                level = step.Level.ToWire(),
                state = step.State.ToWire(),
                organizationId = alert.OrganizationId,
                responsibleOrganizationId = alert.ResponsibleOrganizationId,
                deviceId = alert.DeviceId,
                profile = alert.ProfileId,
                ruleId = alert.RuleId,
                rule = alert.RuleTitle,
                metric = alert.Metric,
                value = (object?)step.Value ?? step.Text,
                unit = alert.Unit,
                actor = step.Actor,
                note = step.Note,
                time = DateTimeOffset.FromUnixTimeMilliseconds(step.At),
            }, JsonSerializerOptions.Web);
            var message = LiveMessages.Build(
                MqttTopics.Alerts(alert.District, alert.Domain, alert.DeviceId),
                data,
                id: $"{alert.Identifier}:{step.Id}",
                type: EventTypes.Alert(step.Kind),
                source: "/alerts",
                subject: alert.Identifier,
                time: DateTimeOffset.FromUnixTimeMilliseconds(step.At),
                new LiveRowValues(alert.OrganizationId, alert.Domain, alert.District, alert.Sandbox),
                retain: true,
                level: step.Level.ToWire(),
                responsible: alert.ResponsibleOrganizationId);
            await broker.PublishAsync(message, cancellationToken);
        }
    }
}
