using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Gateway.Alerts.Cap;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.ClosedLoop;
using IntegrationHub.Gateway.Notifications;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Warnings;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Alerts;

/// <summary>The device an alert is about, as the engine knows it while it evaluates.</summary>
internal sealed record AlertDevice(long Key, string DeviceId, string OrganizationId, string ProfileId, string Domain, string District, bool Sandbox);

/// <summary>Where a device stands, as registered: a new alert is placed there.</summary>
internal readonly record struct AlertPlace(double Lon, double Lat);

/// <summary>
/// Alerts people closed, announced once the close committed: the engine lets go of the rule's level at its next pass
/// (rules.md §10) without reading every open alert on every pass. Devices whose memories it does not hold yet it checks
/// against the database when it reads them, so a restart misses no close. That holds for one node (SQLite), which
/// serves every close itself. In a cluster any node may serve a close while only the leader's engine holds memories: no
/// node keeps closes, and the engine checks the raised levels of every device it evaluates against the database.
/// </summary>
internal sealed class AlertClosures(HubDatabase database)
{
    private readonly ConcurrentQueue<(long DeviceKey, string RuleId, long ClosedAt)> _closed = new();

    /// <summary>Whether every close reaches the engine here (one node); otherwise it reads them from the database.</summary>
    public bool Announced { get; } = database.Provider == StorageProvider.Sqlite;

    public void Closed(long deviceKey, string ruleId, long closedAt)
    {
        if (Announced)
        {
            _closed.Enqueue((deviceKey, ruleId, closedAt));
        }
    }

    public List<(long DeviceKey, string RuleId, long ClosedAt)> Take()
    {
        var taken = new List<(long, string, long)>();
        while (_closed.TryDequeue(out var closed))
        {
            taken.Add(closed);
        }
        return taken;
    }
}

/// <summary>
/// The observation that changed a level, for the alert, its history and its event. <see cref="Flag"/> marks a flag
/// metric, whose stored 1 or 0 the event shows as true or false.
/// </summary>
internal readonly record struct Trigger(long At, string? Metric, double? Value, string? Text, string? Unit, long? MessageRecordId, string? MessageId = null, bool Flag = false);

/// <summary>One cause of a level change as the alert event carries it: the level, and the threshold, state value or bit met.</summary>
internal sealed record CauseData(
    string Level,
    double? Threshold = null,
    [property: JsonPropertyName("equals")] JsonElement? EqualsValue = null,
    int? Bit = null,
    string? Name = null,
    string? Metric = null);

/// <summary>
/// The context entry in force on an alert's rule (rules.md §5b, RULE-015), as the alert event and history carry it: the
/// warning type and colour the entry takes, and the agency's warning that holds it.
/// </summary>
internal sealed record ContextData(string Warning, string AtLeast, long WarningId, string Sender, string Identifier, string Event, string Level, string? Expires)
{
    public static ContextData? Of(ContextInForce? context) => context is { Warning: var w }
        ? new ContextData(w.Type.Id, context.Entry.AtLeast.ToWire(), w.Id, w.Sender, w.Identifier, w.Event, w.Level.ToWire(),
            w.Expires is { } expires ? DateTimeOffset.FromUnixTimeMilliseconds(expires).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) : null)
        : null;
}

/// <summary>
/// Writes what happens to alerts: the engine's level changes and people's actions become alert rows, history
/// entries, CAP identifiers and outbox events, all in the caller's unit of work, so they commit together.
/// De-duplication: one open alert per (device, rule); a level change updates it; a recurrence before closing reopens it.
/// One per unit of work (scoped).
/// </summary>
internal sealed class AlertBook(HubDb db, CapIdentifiers identifiers, AlertRouting routing, NotificationPlanner notifications, AlertClosures closures, IOptions<HubOptions> hub)
{
    public const string Engine = "engine";

    private static readonly JsonSerializerOptions DataJson = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private readonly string _source = EventTypes.Source(hub.Value.Id, "alerts");
    private readonly List<Pending> _pending = [];
    private readonly List<Alert> _closed = [];

    private sealed record Pending(Alert Alert, AlertEvent Step, Trigger Trigger, IReadOnlyList<CauseData>? Causes, bool Cap, SupervisionView? Supervision = null, ContextData? Context = null);

    public static string OpenKeyOf(long deviceKey, string ruleId) => $"{deviceKey}/{ruleId}";

    /// <summary>Applies a level change of a rule on a device. <paramref name="open"/> is the device and rule's open alert, if any; returns it after the change.</summary>
    /// <remarks><paramref name="context"/> is the context entry in force that the rule judged against (RULE-015); the step records it.</remarks>
    public Alert? LevelChanged(
        AlertDevice device, AlertPlace place, RuleDefinition rule, AlertLevel? before, AlertLevel? after, Alert? open, Trigger trigger, IReadOnlyList<CauseData> causes, ContextData? context, long now)
    {
        if (after is { } ruleLevel)
        {
            if (open is null)
            {
                open = new Alert
                {
                    Identifier = "", // its first CAP message's, when saved
                    OrganizationId = device.OrganizationId,
                    ResponsibleOrganizationId = device.OrganizationId,
                    DeviceKey = device.Key,
                    DeviceId = device.DeviceId,
                    ProfileId = device.ProfileId,
                    Domain = device.Domain,
                    District = device.District,
                    Sandbox = device.Sandbox,
                    Lon = place.Lon,
                    Lat = place.Lat,
                    RuleId = rule.Id,
                    RuleTitle = rule.Title,
                    RuleKind = rule.Kind,
                    Level = ruleLevel,
                    HighestLevel = ruleLevel,
                    State = AlertState.Raised,
                    OpenKey = OpenKeyOf(device.Key, rule.Id),
                    RaisedAt = now,
                    ObservedAt = trigger.At,
                    UpdatedAt = now,
                    LastNotifiedAt = now,
                    DeadlineFrom = now,
                };
                Apply(open, trigger);
                db.Alerts.Add(open);
                Record(open, "raised", Engine, null, trigger, causes, null, now, cap: true, context: context);
                return open;
            }
            var level = ruleLevel;
            string kind;
            if (open.Cleared || before is null)
            {
                // The condition returned before anyone closed the alert: the same alert is handled again from the start,
                // deadlines included.
                kind = "reopened";
                open.Cleared = false;
                open.State = AlertState.Raised;
                open.Escalation = 0;
                open.DeadlineFrom = now;
            }
            else
            {
                // A missed deadline keeps the alert above its rule's level (never beyond red).
                level = (AlertLevel)Math.Min((int)AlertLevel.Red, (int)level + open.Escalation);
                if (level == open.Level)
                {
                    return open;
                }
                kind = level > open.Level ? "escalated" : "deescalated";
            }
            var previous = open.Level;
            // Every level change is a notification and restarts the re-notification interval (RULE-012).
            open.LastNotifiedAt = now;
            open.Level = level;
            open.HighestLevel = (AlertLevel)Math.Max((int)open.HighestLevel, (int)level);
            open.UpdatedAt = now;
            Apply(open, trigger);
            Record(open, kind, Engine, null, trigger, causes, previous, now, cap: true, context: context);
            return open;
        }
        if (open is not null && !open.Cleared && open.State != AlertState.Closed)
        {
            open.Cleared = true;
            open.UpdatedAt = now;
            Apply(open, trigger);
            Record(open, "cleared", Engine, null, trigger, null, null, now, cap: true, context: context);
        }
        return open;
    }

    /// <summary>
    /// A person's step in the closed loop; <paramref name="organization"/> names the responsible unit the step concerns,
    /// <paramref name="person"/> the person an assignment assigned.
    /// </summary>
    public void Act(Alert alert, string kind, AlertState state, string actor, string? note, string? organization, long now, string? person = null)
    {
        alert.State = state;
        alert.UpdatedAt = now;
        if (state == AlertState.Closed)
        {
            alert.OpenKey = null;
            alert.ClosedAt = now;
            _closed.Add(alert);
        }
        // Closing ends the warning in CAP as well: an alert closed before its condition cleared gets its Cancel now,
        // or it would stay in force in the CAP feed (cap/README.md §5).
        Record(alert, kind, actor, note, default, null, null, now, cap: state == AlertState.Closed && !alert.Cleared, organization, person);
    }

    /// <summary>
    /// The context entry in force on the alert's rule changed (RULE-015): an agency's warning began or stopped covering
    /// the device, or another took over. The alert keeps its level and state; the step tells who follows the alert that
    /// the rule now judges against other levels. <paramref name="context"/> is the entry in force now, null when none is.
    /// </summary>
    public void ContextChanged(Alert alert, ContextData? context, long now)
    {
        alert.UpdatedAt = now;
        var note = context is { } c
            ? $"A {c.Level} {c.Event} warning ({c.Sender} {c.Identifier}) covers the device: the rule judges against its '{c.Warning}' levels from {c.AtLeast} (情境生效)."
            : "No agency's warning the rule takes covers the device any more: the rule judges against its own levels (情境解除).";
        Record(alert, "context", Engine, note, default, null, null, now, cap: false, context: context);
    }

    /// <summary>A reminder that an alert is still waiting for someone.</summary>
    public void Renotify(Alert alert, long now)
    {
        alert.LastNotifiedAt = now;
        Record(alert, "renotified", Engine, null, default, null, null, now, cap: false);
    }

    /// <summary>
    /// An alert missed a lifecycle deadline of its level (ALR-003): it escalates one level and is notified at the new
    /// level (a CAP Update), or, already red, is notified again. Either way its deadlines start again.
    /// <paramref name="missed"/> names the step that did not come in time: <c>acknowledged</c> or <c>resolved</c>.
    /// </summary>
    public void DeadlineMissed(Alert alert, string missed, TimeSpan deadline, long now)
    {
        var note = $"Not {missed} within {IsoDuration.Format(deadline)} at {alert.Level.ToWire()} (处置时限).";
        alert.LastNotifiedAt = now;
        alert.DeadlineFrom = now;
        alert.UpdatedAt = now;
        if (alert.Level == AlertLevel.Red)
        {
            Record(alert, "renotified", Engine, note, default, null, null, now, cap: false);
            return;
        }
        var previous = alert.Level;
        alert.Escalation++;
        alert.Level = previous + 1;
        alert.HighestLevel = (AlertLevel)Math.Max((int)alert.HighestLevel, (int)alert.Level);
        Record(alert, "escalated", Engine, note, default, null, previous, now, cap: true);
    }

    /// <summary>
    /// A step of the supervision chain (督办, LOOP-005): the alert keeps its level and state and is notified to the step's
    /// organization and people; the event carries the step.
    /// </summary>
    public void Supervise(Alert alert, AlertEscalation escalation, SupervisionView step, long now)
    {
        alert.LastNotifiedAt = now;
        alert.UpdatedAt = now;
        Record(alert, "supervised", Engine, escalation.Reason, default, null, null, now, cap: false, escalation.OrganizationId, supervision: step);
    }

    /// <summary>
    /// Commits the unit of work with an outbox event per recorded step (EVT-001): the steps are saved first, so that
    /// each event can name its alert's id, then the routing of raised alerts (so that every event names all of its
    /// alert's units, LOOP-001), then the events, in one transaction (the caller's, when it has one).
    /// </summary>
    public async Task SaveAsync(CancellationToken cancellationToken)
    {
        if (_pending.Count == 0)
        {
            await db.SaveChangesAsync(cancellationToken);
            AnnounceClosed();
            return;
        }
        var own = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        try
        {
            // CAP identifiers and outbox ids are both handed out in commit order. The lock is taken before any alert
            // row is written, by every writer of alerts, so that no two of them wait for each other's locks.
            await OutboxOrder.HoldAsync(db, cancellationToken);
            await IdentifyAsync(cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            var loop = await routing.PrepareAsync([.. _pending.Select(p => p.Step)], cancellationToken);
            foreach (var pending in _pending)
            {
                db.Outbox.Add(Event(pending, loop));
            }
            // The notifications the steps call for commit with them (LOOP-009): none lost, none for a rolled-back step.
            await notifications.PlanAsync([.. _pending.Select(p => new NotifiedStep(p.Alert, p.Step, p.Supervision))], loop, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            if (own is not null)
            {
                await own.CommitAsync(cancellationToken);
            }
            _pending.Clear();
            AnnounceClosed();
        }
        finally
        {
            if (own is not null)
            {
                await own.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Gives the steps that are CAP messages their identifiers, continuing after the newest one committed: in a cluster
    /// another node may have issued identifiers in this very second, and on PostgreSQL the outbox lock, held from here
    /// to the commit, makes the newest committed the newest issued (CAP-005).
    /// </summary>
    private async Task IdentifyAsync(CancellationToken cancellationToken)
    {
        if (!_pending.Exists(p => p.Cap))
        {
            return;
        }
        identifiers.ResumeAfter(await db.AlertEvents.Where(e => e.CapIdentifier != null).OrderByDescending(e => e.Id).Select(e => e.CapIdentifier).FirstOrDefaultAsync(cancellationToken));
        foreach (var pending in _pending.Where(p => p.Cap))
        {
            pending.Step.CapIdentifier = identifiers.Next(pending.Step.At);
            if (pending.Alert.Identifier.Length == 0)
            {
                pending.Alert.Identifier = pending.Step.CapIdentifier;
            }
        }
    }

    private void AnnounceClosed()
    {
        foreach (var alert in _closed)
        {
            closures.Closed(alert.DeviceKey, alert.RuleId, alert.ClosedAt!.Value);
        }
        _closed.Clear();
    }

    private static void Apply(Alert alert, Trigger trigger)
    {
        if (trigger.Metric is not null)
        {
            (alert.Metric, alert.Value, alert.Text, alert.Unit) = (trigger.Metric, trigger.Value, trigger.Text, trigger.Unit);
        }
    }

    private void Record(Alert alert, string kind, string actor, string? note, Trigger trigger, IReadOnlyList<CauseData>? causes, AlertLevel? previous,
        long now, bool cap, string? organization = null, string? person = null, SupervisionView? supervision = null, ContextData? context = null)
    {
        var entry = new AlertEvent
        {
            Alert = alert,
            AlertId = alert.Id,
            At = now,
            Kind = kind,
            State = alert.State,
            Cleared = alert.Cleared,
            Level = alert.Level,
            PreviousLevel = previous,
            Actor = actor,
            Note = note,
            Organization = organization,
            Person = person,
            MessageRecordId = trigger.MessageRecordId,
            Value = trigger.Value,
            Text = trigger.Text,
            Causes = causes is { Count: > 0 } ? JsonSerializer.Serialize(causes, DataJson) : null,
            Context = context is null ? null : JsonSerializer.Serialize(context, DataJson),
        };
        db.AlertEvents.Add(entry);
        _pending.Add(new Pending(alert, entry, trigger, causes, cap, supervision, context));
    }

    /// <summary>The CloudEvent of one step: <c>city.integrationhub.alert.{kind}.v1</c>, data per schemas/alert-event.schema.json.</summary>
    private OutboxEvent Event(Pending pending, LoopSnapshot loop)
    {
        var (alert, step, trigger) = (pending.Alert, pending.Step, pending.Trigger);
        var alertId = alert.Id.ToString(CultureInfo.InvariantCulture);
        var units = loop.UnitsOf(alert.Id);
        var data = new AlertEventData(
            alertId,
            step.Kind,
            Utc(step.At),
            Utc(alert.ObservedAt),
            new DedupKey(alert.DeviceId, alert.RuleId),
            alert.OrganizationId,
            alert.ResponsibleOrganizationId,
            alert.DeviceId,
            alert.ProfileId,
            alert.Domain,
            alert.District,
            new RuleReference(alert.RuleId, alert.RuleKind, alert.RuleTitle),
            step.Level.ToWire(),
            step.PreviousLevel?.ToWire(),
            step.State.ToWire(),
            step.Cleared,
            pending.Causes is { Count: > 0 } causes ? causes : null,
            trigger.Metric is { } metric
                ? new ObservationData(trigger.MessageId, Utc(trigger.At), metric, trigger.Flag ? trigger.Value == 1 : (object?)trigger.Value ?? trigger.Text, trigger.Unit)
                : null,
            step.Actor == Engine ? null : step.Actor,
            loop.NameOf(step.Actor),
            step.Note,
            step.CapIdentifier,
            step.Organization,
            step.Person,
            loop.NameOf(step.Person),
            units.Count == 0 ? null : [.. units.Select(u => new UnitData(u.OrganizationId, u.Name, u.Role.ToWire(), u.State.ToWire(), u.Assignee, loop.NameOf(u.Assignee)))],
            pending.Supervision is { } chain
                ? new SupervisionData(chain.Level, chain.Step, chain.Missed, Utc(chain.Deadline.ToUnixTimeMilliseconds()), chain.Unit, chain.Target,
                    chain.People.Count == 0 ? null : chain.People, chain.NextStepAt is { } next ? Utc(next.ToUnixTimeMilliseconds()) : null)
                : null,
            pending.Context);
        // The organizations a unit's share was escalated to follow the alert on every channel, as its units do (LOOP-005).
        var followers = units.Select(u => u.OrganizationId).Concat(loop.SupervisorsOf(alert.Id)).Distinct().ToList();
        return new OutboxEvent
        {
            Type = EventTypes.Alert(step.Kind),
            Source = _source,
            Subject = alertId,
            Time = step.At,
            OrganizationId = alert.OrganizationId,
            Sandbox = alert.Sandbox,
            Domain = alert.Domain,
            District = alert.District,
            Profile = alert.ProfileId,
            Level = alert.Level.ToWire(),
            Units = followers.Count == 0 ? null : string.Join(' ', followers),
            DeviceKey = alert.DeviceKey,
            Data = JsonSerializer.SerializeToUtf8Bytes(data, DataJson),
        };
    }

    private static string Utc(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private sealed record AlertEventData(
        string AlertId, string Transition, string At, string ObservedAt, DedupKey DedupKey, string OrganizationId, string ResponsibleOrganizationId,
        string DeviceId, string Profile, string Domain, string District, RuleReference Rule, string Level, string? PreviousLevel,
        string State, bool Cleared, IReadOnlyList<CauseData>? Causes, ObservationData? Observation, string? By, string? ByName, string? Note, string? CapIdentifier,
        string? Unit, string? Assignee, string? AssigneeName, IReadOnlyList<UnitData>? Units, SupervisionData? Supervision, ContextData? Context);

    private sealed record SupervisionData(
        int Level, string Step, string Missed, string Deadline, OrganizationRef Unit, OrganizationRef Target, IReadOnlyList<ActorRef>? People, string? NextStepAt);

    private sealed record UnitData(string OrganizationId, string? Name, string Role, string State, string? Assignee, string? AssigneeName);

    private sealed record DedupKey(string DeviceId, string RuleId);

    private sealed record RuleReference(string Id, string Kind, string Title);

    private sealed record ObservationData(string? MessageId, string Time, string Metric, object? Value, string? Unit);
}
