using IntegrationHub.Conformance.Profiles;

namespace IntegrationHub.Gateway.Alerts;

/// <summary>
/// A raised warning: one device, one rule, at most one open at a time (<see cref="OpenKey"/>). A level change updates
/// it rather than making a new one. Times are Unix milliseconds (UTC).
/// </summary>
internal sealed class Alert : Telemetry.IVisibleRow
{
    public long Id { get; init; }

    /// <summary>The GB/T 35965.1-style identifier of the alert's first CAP message (given when the alert is first saved).</summary>
    public required string Identifier { get; set; }

    /// <summary>The device's owner.</summary>
    public required string OrganizationId { get; init; }

    /// <summary>Who handles it: the owner unless the operator dispatched it elsewhere.</summary>
    public required string ResponsibleOrganizationId { get; set; }

    public required long DeviceKey { get; init; }
    public required string DeviceId { get; init; }
    public required string ProfileId { get; init; }
    public required string Domain { get; init; }
    public required string District { get; init; }
    public required bool Sandbox { get; init; }
    public required double Lon { get; init; }
    public required double Lat { get; init; }
    public required string RuleId { get; init; }
    public required string RuleTitle { get; init; }

    /// <summary>The rule's kind (<c>threshold</c>, <c>rate</c>, …), kept so that every event of the alert names it.</summary>
    public required string RuleKind { get; init; }

    public required AlertLevel Level { get; set; }
    public required AlertLevel HighestLevel { get; set; }

    /// <summary>Where the alert is in the closed loop; people move it.</summary>
    public required AlertState State { get; set; }

    /// <summary>
    /// Whether the condition has ended by itself (rules.md §10). Not a lifecycle state: the alert keeps its state and
    /// must still be closed, and a recurrence before that reopens it.
    /// </summary>
    public bool Cleared { get; set; }

    /// <summary><c>{deviceKey}/{ruleId}</c> until the alert is closed, then null: the database keeps one open alert per device and rule.</summary>
    public string? OpenKey { get; set; }

    public string? Metric { get; set; }
    public double? Value { get; set; }
    public string? Text { get; set; }
    public string? Unit { get; set; }

    public required long RaisedAt { get; init; }

    /// <summary>
    /// When the condition began: the observation time of the sample that raised the alert, or, for an absence rule, the
    /// moment the hub judged the device silent. A backfill raises alerts now about the past; statistics, time filters and
    /// CAP <c>onset</c> count by this time, not by <see cref="RaisedAt"/>.
    /// </summary>
    public required long ObservedAt { get; init; }
    public required long UpdatedAt { get; set; }
    public long? ClosedAt { get; set; }
    public long? LastNotifiedAt { get; set; }

    /// <summary>When the lifecycle deadlines began to run: the raise or reopening, or the last missed deadline (ALR-003).</summary>
    public required long DeadlineFrom { get; set; }

    /// <summary>
    /// Levels added by missed deadlines since the alert was raised or reopened: the alert stands this many levels above
    /// its rule's level (never above red), so a later change of the rule's level keeps the lift.
    /// </summary>
    public int Escalation { get; set; }
}

/// <summary>Where an alert is in its closed loop (ALR-002). Whether its condition has cleared is <see cref="Alert.Cleared"/>, beside the state.</summary>
internal enum AlertState
{
    Raised,
    Acknowledged,
    Dispatched,
    Resolved,
    Closed,
}

/// <summary>One step of an alert's history: who, when, what, and a note.</summary>
internal sealed class AlertEvent
{
    public long Id { get; init; }
    public required long AlertId { get; init; }
    public Alert? Alert { get; init; }
    public required long At { get; init; }
    public required string Kind { get; init; }
    public required AlertState State { get; init; }

    /// <summary>Whether the condition had cleared, after the step.</summary>
    public bool Cleared { get; init; }

    public required AlertLevel Level { get; init; }

    /// <summary>The level before the step, for the steps that change it.</summary>
    public AlertLevel? PreviousLevel { get; init; }

    public required string Actor { get; init; }
    public string? Note { get; init; }

    /// <summary>The responsible unit the step concerns: the one dispatched to, added, removed, or taking its own step.</summary>
    public string? Organization { get; init; }

    /// <summary>The person an assignment step assigned (null: the unit's assignment was withdrawn).</summary>
    public string? Person { get; init; }

    /// <summary>The stored message whose observation made the change.</summary>
    public long? MessageRecordId { get; init; }

    public double? Value { get; init; }
    public string? Text { get; init; }

    /// <summary>The identifier of the CAP message this step produced, for steps that produce one (given when the step is saved).</summary>
    public string? CapIdentifier { get; set; }

    /// <summary>What the rule matched at this step, as the JSON array the alert event carries (<c>causes</c>); null for steps without.</summary>
    public string? Causes { get; init; }

    /// <summary>The context entry in force on the rule at this step (RULE-015), as the JSON object the alert event carries (<c>context</c>); null while none is.</summary>
    public string? Context { get; init; }
}

/// <summary>A rule's memory on a device (<see cref="Rules.RuleMemory"/> as JSON).</summary>
internal sealed class RuleStateRecord
{
    public required long DeviceKey { get; init; }
    public required string RuleId { get; init; }
    public required string Memory { get; set; }
}

/// <summary>How far a consumer of the stored messages has come, so it resumes after a restart without skipping or repeating.</summary>
internal sealed class ConsumerCursor
{
    public required string Name { get; init; }
    public required long Position { get; set; }
}

/// <summary>A time during which a device raises no alerts. Always bounded: it has an end.</summary>
internal sealed class MaintenanceWindow
{
    public long Id { get; init; }
    public required long DeviceKey { get; init; }
    public required long From { get; init; }
    public required long Until { get; set; }
    public string? Note { get; init; }
    public required string CreatedBy { get; init; }
}
