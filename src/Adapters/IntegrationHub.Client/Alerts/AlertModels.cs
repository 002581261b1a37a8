using IntegrationHub.Client.Telemetry;

namespace IntegrationHub.Client.Alerts;

/// <summary>
/// A raised warning: one device, one rule of its profile, at most one open at a time. A level change updates it rather
/// than making a new one. <see cref="Level"/> is one of <see cref="AlertLevels"/>, <see cref="State"/> one of
/// <see cref="AlertStates"/>; <see cref="Identifier"/> is the GB/T 35965.1-style identifier of its first CAP message.
/// </summary>
public sealed record Alert(
    long Id, string Identifier, string Level, string HighestLevel, string State, string OrganizationId, string ResponsibleOrganizationId,
    string DeviceId, string Profile, string Domain, string District, string RuleId, string RuleTitle,
    string? Metric, TelemetryValue? Value, string? Unit, DateTimeOffset RaisedAt, DateTimeOffset UpdatedAt, DateTimeOffset? ClosedAt)
{
    /// <summary>The condition ended by itself: the alert must still be closed, and a recurrence reopens it.</summary>
    public bool Cleared { get; init; }

    /// <summary>The kind of the rule, <c>threshold</c>, <c>rate</c>, <c>state</c>, <c>absence</c> or <c>quality</c>.</summary>
    public string? RuleKind { get; init; }

    /// <summary>While the alert is raised: when its level's acknowledgement deadline passes and it escalates.</summary>
    public DateTimeOffset? AcknowledgeBy { get; init; }

    /// <summary>While the alert is open and not cleared: when its level's resolution deadline passes and it escalates.</summary>
    public DateTimeOffset? ResolveBy { get; init; }

    /// <summary>Where the device stood when the alert was raised, for maps; null from hubs that do not send it yet.</summary>
    public AlertLocation? Location { get; init; }

    /// <summary>
    /// When the alert's condition began: the time of the observation that raised it (for an absence rule, when the hub
    /// judged the device silent), where <see cref="RaisedAt"/> is when the hub raised it. Statistics and the time
    /// filters count by it. Null from hubs that do not send it yet.
    /// </summary>
    public DateTimeOffset? ObservedAt { get; init; }

    /// <summary>A sandbox adapter's alert: a drill (CAP status Test), seen only by its organization, never dispatched or escalated.</summary>
    public bool Sandbox { get; init; }

    /// <summary>
    /// The responsible units the alert is routed to, leads first, each with its own state and deadlines; empty when it
    /// has none. <see cref="ResponsibleOrganizationId"/> is the unit it was last dispatched to, or its first lead.
    /// </summary>
    public IReadOnlyList<ClosedLoop.AlertUnit> Units { get; init; } = [];

    /// <summary>Not closed yet: still in the closed loop (a cleared alert must still be closed).</summary>
    public bool IsOpen => State != AlertStates.Closed;
}

/// <summary>A device's longitude and latitude in decimal degrees (WGS84 or CGCS2000, as it was registered).</summary>
public sealed record AlertLocation(double Lon, double Lat);

/// <summary>One step of an alert's history: what happened (<see cref="Kind"/>, e.g. <c>raised</c>, <c>escalated</c>, <c>acknowledged</c>), who did it, when, with what note.</summary>
public sealed record AlertStep(
    string Kind, string State, string Level, DateTimeOffset At, string Actor, string? Note, string? Organization, TelemetryValue? Value, string? CapIdentifier)
{
    /// <summary>Whether the condition had cleared after this step.</summary>
    public bool Cleared { get; init; }

    /// <summary>The level before a level change.</summary>
    public string? PreviousLevel { get; init; }

    /// <summary>The name of the person or adapter that took the step, as the hub knows it now; null for the alert engine.</summary>
    public string? ActorName { get; init; }

    /// <summary>What the rule matched at a level change, as in the alert event.</summary>
    public System.Text.Json.JsonElement? Causes { get; init; }

    /// <summary>The person an <c>assigned</c> step assigned the unit's share to.</summary>
    public ClosedLoop.Actor? Assignee { get; init; }

    /// <summary>The context entry in force on the rule at this step (rules.md §5b); null while the rule's own levels apply.</summary>
    public Events.RuleContextInForce? Context { get; init; }
}

/// <summary>An alert with its history and the observations that changed it.</summary>
public sealed record AlertDetail(Alert Alert, IReadOnlyList<AlertStep> History, IReadOnlyList<ObservationRecord> Observations);

/// <summary>Filters of <see cref="IAlertsApi.ListAlertsAsync"/>; every one is optional and they combine with AND.</summary>
public sealed record AlertFilter
{
    /// <summary>One of <see cref="AlertLevels"/>.</summary>
    public string? Level { get; init; }

    /// <summary>One of <see cref="AlertStates"/>.</summary>
    public string? State { get; init; }

    /// <summary>The domain of the device's profile, e.g. <c>gas</c>.</summary>
    public string? Domain { get; init; }

    /// <summary>A GB/T 2260 area code; a city or province code covers its districts.</summary>
    public string? District { get; init; }

    public string? Device { get; init; }

    /// <summary>The device's owner or one of the alert's responsible units.</summary>
    public string? Organization { get; init; }

    /// <summary>A responsible unit of the alert (units removed from it excluded).</summary>
    public string? Unit { get; init; }

    /// <summary>True for alerts not closed yet, false for closed ones.</summary>
    public bool? Open { get; init; }

    /// <summary>True for alerts whose condition has cleared by itself (still to be closed), false for the others.</summary>
    public bool? Cleared { get; init; }
}

/// <summary>
/// Closes an alert with a note. An alert whose condition still holds is closed only with <paramref name="Confirm"/> and
/// a note saying why (otherwise the hub answers <c>alert.condition-active</c>); the device is then watched afresh from the close.
/// </summary>
public sealed record CloseAlertRequest(string Note, bool Confirm = false);

/// <summary>
/// Resolves an alert with feedback. A responsible unit resolves its own share; the operator resolves an alert whose
/// units are still working only with <paramref name="Override"/> (otherwise the hub answers <c>alert.units-open</c>).
/// The feedback is structured (LOOP-007): a <paramref name="Cause"/> of the alert's domain, whether it was a
/// <paramref name="FalseAlarm"/>, and the ids of <paramref name="Attachments"/> uploaded to the alert first.
/// </summary>
public sealed record ResolveAlertRequest(string Note, bool Override = false, string? Cause = null, bool? FalseAlarm = null, IReadOnlyList<long>? Attachments = null);

/// <summary>Who will handle an alert: an organization (a fire brigade, a gas company's crew), with a note.</summary>
public sealed record DispatchRequest(string OrganizationId, string? Note = null);

/// <summary>The four national warning levels, lowest first: blue (IV), yellow (III), orange (II), red (I).</summary>
public static class AlertLevels
{
    public const string Blue = "blue";
    public const string Yellow = "yellow";
    public const string Orange = "orange";
    public const string Red = "red";
}

/// <summary>Where an alert is in its closed loop. <c>cleared</c> (the condition ended by itself) is not the end: the alert must still be closed.</summary>
public static class AlertStates
{
    public const string Raised = "raised";
    public const string Acknowledged = "acknowledged";
    public const string Dispatched = "dispatched";
    public const string Resolved = "resolved";
    public const string Cleared = "cleared";
    public const string Closed = "closed";
}

/// <summary>Alerts raised over a period, counted per time bucket, district and highest level (<c>GET /v1/alerts/statistics</c>).</summary>
public sealed record AlertStatistics(string Bucket, DateTimeOffset From, DateTimeOffset To, int OffsetMinutes, IReadOnlyList<AlertStatisticsRow> Items);

/// <summary>How many alerts were <paramref name="Raised"/> whose condition began (their <c>ObservedAt</c>) in the bucket starting at <paramref name="Start"/>, in one district, that reached <paramref name="Level"/> at most.</summary>
public sealed record AlertStatisticsRow(DateTimeOffset Start, string District, string Level, int Raised);
