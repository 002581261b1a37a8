using System.Text.Json;
using IntegrationHub.Client.Telemetry;

namespace IntegrationHub.Client.Events;

/// <summary>
/// The data of <c>city.integrationhub.observation.v1</c> (specs/schemas/observation-event.schema.json): one accepted
/// telemetry message, normalized to the profile's canonical units, times in UTC.
/// </summary>
public sealed record ObservationEvent(
    string MessageId, string OrganizationId, string DeviceId, string Profile, string Domain, string District, DateTimeOffset Time, DateTimeOffset ReceivedAt,
    IReadOnlyList<Observation> Observations, string? AdapterId = null, Location? Location = null, DeviceStatus? Status = null);

/// <summary>
/// The data of an alert transition (<c>city.integrationhub.alert.{transition}.v1</c>,
/// specs/schemas/alert-event.schema.json): the alert after the change, and what changed it.
/// </summary>
public sealed record AlertEvent(
    string AlertId, string Transition, DateTimeOffset At, AlertDedupKey DedupKey, string OrganizationId, string DeviceId, string Profile, string Domain, string District,
    AlertRule Rule, string Level, string State, bool Cleared)
{
    public string? ResponsibleOrganizationId { get; init; }

    public string? PreviousLevel { get; init; }

    /// <summary>What the rule matched at a level change.</summary>
    public JsonElement? Causes { get; init; }

    /// <summary>The observation that changed the alert, when one did.</summary>
    public JsonElement? Observation { get; init; }

    /// <summary>Who took a step: a client id or a person's id (absent for the engine's steps).</summary>
    public string? By { get; init; }

    /// <summary>The name of <see cref="By"/>, to show.</summary>
    public string? ByName { get; init; }

    /// <summary>The responsible unit a step concerns: added, removed, dispatched to, acknowledging or resolving its share.</summary>
    public string? Unit { get; init; }

    /// <summary>The person an <c>assigned</c> step assigned the unit's share to, and their name.</summary>
    public string? Assignee { get; init; }

    public string? AssigneeName { get; init; }

    /// <summary>The alert's responsible units after the change, leads first; each receives the alert's events.</summary>
    public IReadOnlyList<AlertEventUnit>? Units { get; init; }

    public string? Note { get; init; }

    /// <summary>The identifier of the CAP message this transition issued, if it issued one.</summary>
    public string? CapIdentifier { get; init; }

    /// <summary>When the alert's condition began (the raising observation's time); null from hubs that do not send it yet.</summary>
    public DateTimeOffset? ObservedAt { get; init; }

    /// <summary>
    /// The context entry in force on the rule (rules.md §5b): the agency's warning covering the device whose levels the
    /// rule judged against; on a <c>context</c> transition, the entry now in force, null when the context ended.
    /// </summary>
    public RuleContextInForce? Context { get; init; }
}

/// <summary>
/// A rule's context entry in force: its warning type and lowest colour, and the agency's warning that holds it (its hub
/// id, CAP sender, identifier and event, its colour and when it expires).
/// </summary>
public sealed record RuleContextInForce(string Warning, string AtLeast, long WarningId, string Sender, string Identifier, string Event, string Level, DateTimeOffset? Expires = null);

/// <summary>A responsible unit as an alert event carries it: its role (lead, participant) and state (routed, acknowledged, resolved).</summary>
public sealed record AlertEventUnit(string OrganizationId, string Role, string State, string? Name = null, string? Assignee = null, string? AssigneeName = null);

/// <summary>What keeps one open alert per device and rule.</summary>
public sealed record AlertDedupKey(string DeviceId, string RuleId);

/// <summary>The profile rule an alert follows.</summary>
public sealed record AlertRule(string Id, string Kind, string Title);
