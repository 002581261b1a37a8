using System.Text.Json;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Gateway.Alerts.Cap;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;

namespace IntegrationHub.Gateway.Alerts;

/// <summary>Hears about committed alert steps, to announce them live (MQTT alert topics). Best effort: the outbox carries the durable events.</summary>
internal interface IAlertStream
{
    Task PublishAsync(IReadOnlyList<AlertEvent> steps, CancellationToken cancellationToken);
}

/// <summary>The device an alert is about, as the engine knows it while it evaluates.</summary>
internal sealed record AlertDevice(long Key, string DeviceId, string OrganizationId, string ProfileId, string Domain, string District, bool Sandbox, double Lon, double Lat);

/// <summary>The sample that changed a level, for the alert and its history.</summary>
internal readonly record struct Trigger(long At, string? Metric, double? Value, string? Text, string? Unit, long? MessageRecordId);

/// <summary>
/// Writes what happens to alerts: the engine's level changes and people's actions become alert rows, history
/// entries, CAP identifiers and outbox events, all in the caller's unit of work, so they commit together.
/// De-duplication: one open alert per (device, rule); a level change updates it; a recurrence before closing reopens it.
/// </summary>
internal sealed class AlertBook(HubDb db, CapIdentifiers identifiers)
{
    public const string Engine = "engine";

    private readonly List<AlertEvent> _recorded = [];

    /// <summary>The steps recorded in this unit of work, to announce once it has committed.</summary>
    public IReadOnlyList<AlertEvent> Recorded => _recorded;

    public static string OpenKeyOf(long deviceKey, string ruleId) => $"{deviceKey}/{ruleId}";

    /// <summary>Applies a level change of a rule on a device. <paramref name="open"/> is the device and rule's open alert, if any; returns it after the change.</summary>
    public Alert? LevelChanged(AlertDevice device, RuleDefinition rule, AlertLevel? before, AlertLevel? after, Alert? open, Trigger trigger, long now)
    {
        if (after is { } level)
        {
            if (open is null)
            {
                open = new Alert
                {
                    Identifier = identifiers.Next(now),
                    OrganizationId = device.OrganizationId,
                    ResponsibleOrganizationId = device.OrganizationId,
                    DeviceKey = device.Key,
                    DeviceId = device.DeviceId,
                    ProfileId = device.ProfileId,
                    Domain = device.Domain,
                    District = device.District,
                    Sandbox = device.Sandbox,
                    Lon = device.Lon,
                    Lat = device.Lat,
                    RuleId = rule.Id,
                    RuleTitle = rule.Title,
                    Level = level,
                    HighestLevel = level,
                    State = AlertState.Raised,
                    OpenKey = OpenKeyOf(device.Key, rule.Id),
                    RaisedAt = now,
                    UpdatedAt = now,
                    LastNotifiedAt = now,
                };
                Apply(open, trigger);
                db.Alerts.Add(open);
                Record(open, "raised", Engine, null, trigger, now, open.Identifier);
                return open;
            }
            var kind = open.State == AlertState.Cleared || before is null ? "reopened" : level > open.Level ? "escalated" : "deescalated";
            if (kind == "reopened")
            {
                open.State = AlertState.Raised;
            }
            // Every level change is a notification and restarts the re-notification interval (RULE-012).
            open.LastNotifiedAt = now;
            open.Level = level;
            open.HighestLevel = (AlertLevel)Math.Max((int)open.HighestLevel, (int)level);
            open.UpdatedAt = now;
            Apply(open, trigger);
            Record(open, kind, Engine, null, trigger, now, identifiers.Next(now));
            return open;
        }
        if (open is not null && open.State != AlertState.Closed)
        {
            open.State = AlertState.Cleared;
            open.UpdatedAt = now;
            Apply(open, trigger);
            Record(open, "cleared", Engine, null, trigger, now, identifiers.Next(now));
        }
        return open;
    }

    /// <summary>A person's step in the closed loop.</summary>
    public void Act(Alert alert, string kind, AlertState state, string actor, string? note, string? organization, long now)
    {
        alert.State = state;
        alert.UpdatedAt = now;
        if (state == AlertState.Closed)
        {
            alert.OpenKey = null;
            alert.ClosedAt = now;
        }
        if (organization is not null)
        {
            alert.ResponsibleOrganizationId = organization;
        }
        Record(alert, kind, actor, note, default, now, null, organization);
    }

    /// <summary>Announces the committed steps on the live alert topics.</summary>
    public Task AnnounceAsync(IAlertStream stream, CancellationToken cancellationToken) => _recorded.Count == 0 ? Task.CompletedTask : stream.PublishAsync(_recorded, cancellationToken);

    /// <summary>A reminder that an alert is still waiting for someone.</summary>
    public void Renotify(Alert alert, long now)
    {
        alert.LastNotifiedAt = now;
        Record(alert, "renotified", Engine, null, default, now, null);
    }

    private static void Apply(Alert alert, Trigger trigger)
    {
        if (trigger.Metric is not null)
        {
            (alert.Metric, alert.Value, alert.Text, alert.Unit) = (trigger.Metric, trigger.Value, trigger.Text, trigger.Unit);
        }
    }

    private void Record(Alert alert, string kind, string actor, string? note, Trigger trigger, long now, string? capIdentifier, string? organization = null)
    {
        var entry = new AlertEvent
        {
            Alert = alert,
            AlertId = alert.Id,
            At = now,
            Kind = kind,
            State = alert.State,
            Level = alert.Level,
            Actor = actor,
            Note = note,
            Organization = organization,
            MessageRecordId = trigger.MessageRecordId,
            Value = trigger.Value,
            Text = trigger.Text,
            CapIdentifier = capIdentifier,
        };
        db.AlertEvents.Add(entry);
        _recorded.Add(entry);
        db.Outbox.Add(new OutboxEvent
        {
            Type = EventTypes.Alert(kind),
            Source = "/alerts",
            Subject = alert.Identifier,
            Time = now,
            OrganizationId = alert.OrganizationId,
            Sandbox = alert.Sandbox,
            Domain = alert.Domain,
            District = alert.District,
            Profile = alert.ProfileId,
            Level = alert.Level.ToWire(),
            ResponsibleOrganizationId = alert.ResponsibleOrganizationId,
            DeviceKey = alert.DeviceKey,
            Data = JsonSerializer.Serialize(new
            {
                alert = alert.Identifier,
                kind,
                level = alert.Level.ToWire(),
                state = alert.State.ToWire(),
                deviceId = alert.DeviceId,
                organizationId = alert.OrganizationId,
                responsibleOrganizationId = alert.ResponsibleOrganizationId,
                ruleId = alert.RuleId,
                domain = alert.Domain,
                district = alert.District,
                metric = alert.Metric,
                value = alert.Value,
                text = alert.Text,
                unit = alert.Unit,
                actor,
                note,
                time = DateTimeOffset.FromUnixTimeMilliseconds(now),
            }, JsonSerializerOptions.Web),
        });
    }
}
