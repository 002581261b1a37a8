using IntegrationHub.Conformance.Profiles;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>
/// One line of the routing table (LOOP-001): alerts of a domain, optionally narrowed to a district (a GB/T 2260 code,
/// which covers the districts inside it), a profile and a lowest level, go to a responsible unit. Every line that
/// matches contributes its unit, so a domain's lead bureau, the district's government and a profile's supervising
/// bureau can all receive the same alert (联动). Times are Unix milliseconds (UTC).
/// </summary>
internal sealed class UnitRoute : IAuditedLine
{
    public long Id { get; init; }
    public required string Domain { get; set; }
    public string? District { get; set; }
    public string? Profile { get; set; }
    public AlertLevel? MinLevel { get; set; }
    public required RouteTarget Target { get; set; }

    /// <summary>The unit, when <see cref="Target"/> is <see cref="RouteTarget.Organization"/>.</summary>
    public string? OrganizationId { get; set; }

    public required UnitRole Role { get; set; }
    public string? Note { get; set; }
    public required long CreatedAt { get; init; }
    public required string CreatedBy { get; init; }
    public required long UpdatedAt { get; set; }
    public required string UpdatedBy { get; set; }
}

/// <summary>Who a route sends alerts to.</summary>
internal enum RouteTarget
{
    /// <summary>One named organization: a city bureau, a district department, an enterprise.</summary>
    Organization,

    /// <summary>
    /// The government of the alert's own district (the plan's 各区(市)政府): every district organization whose area code
    /// is the alert's district. Where none is registered, the line routes nowhere.
    /// </summary>
    District,
}

/// <summary>What part a unit plays: the plan's 牵头 (lead) or 按职责分工负责 (participant).</summary>
internal enum UnitRole
{
    Lead,
    Participant,
}

/// <summary>Where one unit is in its share of an alert (LOOP-002).</summary>
internal enum UnitState
{
    /// <summary>Routed to the unit; nobody there has acknowledged it yet.</summary>
    Routed,
    Acknowledged,
    Resolved,

    /// <summary>Taken off the alert by the operator; the unit no longer sees it.</summary>
    Removed,
}

/// <summary>
/// A responsible unit of one alert, with its own acknowledgement, deadlines, person, feedback and state. The alert is
/// resolved when every unit that has not been removed has resolved (LOOP-002). Deadlines are stored as instants, so
/// that the supervision of overdue units reads them with a plain query.
/// </summary>
internal sealed class AlertUnit
{
    public long Id { get; init; }
    public required long AlertId { get; init; }
    public required string OrganizationId { get; init; }
    public required UnitRole Role { get; set; }
    public required UnitState State { get; set; }

    /// <summary>The routing-table line that routed it; null when the operator added it by hand.</summary>
    public long? RouteId { get; set; }

    public required long RoutedAt { get; set; }
    public required string RoutedBy { get; set; }

    /// <summary>When the unit must have acknowledged, and resolved, by (处置时限 of the alert's level when it was routed).</summary>
    public required long AcknowledgeDue { get; set; }
    public required long ResolveDue { get; set; }

    public long? AcknowledgedAt { get; set; }
    public string? AcknowledgedBy { get; set; }

    /// <summary>The person of the unit who handles its share (LOOP-003); the unit's people may reassign it.</summary>
    public string? AssigneeId { get; set; }

    public long? AssignedAt { get; set; }
    public string? AssignedBy { get; set; }
    public long? ResolvedAt { get; set; }
    public string? ResolvedBy { get; set; }

    /// <summary>What the unit found and did, in its own words.</summary>
    public string? Measures { get; set; }

    public long? RemovedAt { get; set; }
    public string? RemovedBy { get; set; }
}

/// <summary>
/// A supervising organization (督办单位, LOOP-005): the second step of the supervision chain for the alerts of a domain,
/// optionally narrowed to a district (a GB/T 2260 code covers the districts inside it) and a profile. The most specific
/// line that matches an alert supervises it: profile before district, a district before the whole city.
/// </summary>
internal sealed class SupervisorLine : IAuditedLine
{
    public long Id { get; init; }
    public required string Domain { get; set; }
    public string? District { get; set; }
    public string? Profile { get; set; }
    public required string OrganizationId { get; set; }
    public string? Note { get; set; }
    public required long CreatedAt { get; init; }
    public required string CreatedBy { get; init; }
    public required long UpdatedAt { get; set; }
    public required string UpdatedBy { get; set; }
}

/// <summary>The steps of the supervision chain (督办), in order: the numbers are the chain's levels.</summary>
internal enum SupervisionStep
{
    /// <summary>The overdue unit's own leads.</summary>
    Lead = 1,

    /// <summary>The supervising organization of the alert's domain and district.</summary>
    Supervisor = 2,

    /// <summary>The city monitoring centre, the chain's end.</summary>
    Operator = 3,
}

/// <summary>
/// One step of an alert's supervision chain (LOOP-005): a unit's share missed its acknowledge or resolve deadline
/// (<see cref="Deadline"/>, the instant missed, which keys the chain: a restarted deadline starts a new one), and the
/// step told <see cref="TargetOrganizationId"/> and its <see cref="People"/>. Rows are never changed: acknowledging or
/// resolving the share ends the chain by ending what it waits for.
/// </summary>
internal sealed class AlertEscalation
{
    public long Id { get; init; }
    public required long AlertId { get; init; }

    /// <summary>The unit whose share is overdue; for an alert no unit was routed to, its responsible organization.</summary>
    public required string OrganizationId { get; init; }

    /// <summary><c>acknowledge</c> or <c>resolve</c>.</summary>
    public required string Missed { get; init; }

    public required long Deadline { get; init; }
    public required SupervisionStep Step { get; init; }
    public required string TargetOrganizationId { get; init; }

    /// <summary>The people told, space-separated user ids: the unit's leads at the first step.</summary>
    public string? People { get; init; }

    public required long At { get; init; }

    /// <summary>When the next step follows if the share is still overdue; null at the chain's end.</summary>
    public long? NextAt { get; init; }

    public required string Reason { get; init; }
}
