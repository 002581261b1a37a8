using IntegrationHub.Client.Alerts;

namespace IntegrationHub.Client.ClosedLoop;

/// <summary>Who did something: the id of the person or client, and the name to show.</summary>
public sealed record Actor(string Id, string? Name);

/// <summary>
/// A line of the routing table: alerts of <see cref="Domain"/>, optionally of one district (a GB/T 2260 code covering
/// the districts inside it), one profile and from one level up, go to a responsible unit. <see cref="Target"/> is
/// <c>organization</c> (<see cref="OrganizationId"/>) or <c>district</c> (the government of the alert's own district).
/// <see cref="Role"/> is one of <see cref="UnitRoles"/>.
/// </summary>
public sealed record Route(
    long Id, string Domain, string? District, string? Profile, string? MinLevel, string Target, string? OrganizationId, string? OrganizationName, string Role, string? Note,
    DateTimeOffset UpdatedAt, Actor UpdatedBy);

/// <summary>A line of the routing table to create or to replace.</summary>
public sealed record RouteRequest(
    string Domain, string Role, string? OrganizationId = null, string? District = null, string? Profile = null, string? MinLevel = null, string? Target = null, string? Note = null);

/// <summary>Where an alert would be routed, leads first.</summary>
public sealed record RouteMatch(IReadOnlyList<MatchedUnit> Units);

public sealed record MatchedUnit(string OrganizationId, string? OrganizationName, string Role, long? RouteId);

/// <summary>
/// A responsible unit of an alert, with its own state (one of <see cref="UnitStates"/>) and deadlines:
/// <see cref="AcknowledgeBy"/> and <see cref="ResolveBy"/> are given while the unit has yet to take that step.
/// </summary>
public sealed record AlertUnit(string OrganizationId, string OrganizationName, string Role, string State, DateTimeOffset RoutedAt)
{
    /// <summary>The routing-table line that routed the unit; null when the operator added it.</summary>
    public long? RouteId { get; init; }

    /// <summary>Who added the unit; null when the routing table did, at the raise.</summary>
    public Actor? RoutedBy { get; init; }

    public DateTimeOffset? AcknowledgeBy { get; init; }
    public DateTimeOffset? ResolveBy { get; init; }
    public DateTimeOffset? AcknowledgedAt { get; init; }
    public Actor? AcknowledgedBy { get; init; }

    /// <summary>The person of the unit who handles its share.</summary>
    public Actor? Assignee { get; init; }

    public DateTimeOffset? AssignedAt { get; init; }
    public Actor? AssignedBy { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }
    public Actor? ResolvedBy { get; init; }

    /// <summary>What the unit found and did.</summary>
    public string? Measures { get; init; }

    public DateTimeOffset? RemovedAt { get; init; }
    public Actor? RemovedBy { get; init; }
}

/// <summary>
/// A unit's share of an open alert that missed a deadline: <see cref="Missed"/> holds <c>acknowledge</c>, <c>resolve</c>
/// or both; <see cref="OverdueSince"/> is the earliest deadline missed.
/// </summary>
public sealed record OverdueShare(
    long AlertId, string Level, string Domain, string District, string DeviceId, string RuleTitle, string AlertState,
    string OrganizationId, string OrganizationName, string Role, string State, IReadOnlyList<string> Missed,
    DateTimeOffset? AcknowledgeBy, DateTimeOffset ResolveBy, DateTimeOffset OverdueSince);

/// <summary>
/// A supervising organization (督办单位): told of the alerts of <see cref="Domain"/>, optionally of one district and one
/// profile, when an overdue unit's leads let their step's deadline pass. The most specific line supervises an alert.
/// </summary>
public sealed record Supervisor(
    long Id, string Domain, string? District, string? Profile, string OrganizationId, string? OrganizationName, string? Note, DateTimeOffset UpdatedAt, Actor UpdatedBy);

/// <summary>A supervising organization's line to create or to replace.</summary>
public sealed record SupervisorRequest(string Domain, string OrganizationId, string? District = null, string? Profile = null, string? Note = null);

/// <summary>
/// A unit's group robot (WeCom or DingTalk) notifications may use. Its webhook URL and secret are never answered:
/// <see cref="Host"/> is the URL's host, <see cref="Signed"/> whether DingTalk messages are signed with a secret.
/// <see cref="Kind"/> is <c>wecom</c> or <c>dingtalk</c>.
/// </summary>
public sealed record NotificationChannel(
    long Id, string Name, string Kind, string OrganizationId, string? OrganizationName, string Host, bool Signed, DateTimeOffset UpdatedAt, Actor UpdatedBy);

/// <summary>
/// A group robot to register (every field but <see cref="Secret"/> required) or to change (absent fields are kept; an
/// empty <see cref="Secret"/> removes it). <see cref="Url"/> is the robot's webhook URL with its token.
/// </summary>
public sealed record NotificationChannelRequest(string? Name = null, string? Kind = null, string? OrganizationId = null, string? Url = null, string? Secret = null);

/// <summary>What the robot answered to a test message: sent, or why not.</summary>
public sealed record NotificationTest(bool Sent, string? Error);

/// <summary>
/// A notification policy: for the alerts of <see cref="Domain"/> and <see cref="Level"/> (null: any), whether the routed
/// units' on-duty people are told at a raise (<see cref="AtRaise"/>) and each supervision step's people
/// (<see cref="AtSupervision"/>), by <see cref="Channels"/> (<c>email</c>, <c>sms</c>) and the group robots <see cref="RobotIds"/>.
/// </summary>
public sealed record NotificationPolicy(
    long Id, string Name, string? Domain, string? Level, bool AtRaise, bool AtSupervision, IReadOnlyList<string> Channels, IReadOnlyList<long> RobotIds,
    DateTimeOffset UpdatedAt, Actor UpdatedBy);

/// <summary>A notification policy to add or to replace whole.</summary>
public sealed record NotificationPolicyRequest(
    string Name, string? Domain = null, string? Level = null, bool? AtRaise = null, bool? AtSupervision = null, IReadOnlyList<string>? Channels = null,
    IReadOnlyList<long>? RobotIds = null);

/// <summary>
/// One notification the hub wrote: what called for it (<see cref="Trigger"/>), who was told, by which channel, and how it
/// fared: <see cref="State"/> <c>pending</c>, <c>sent</c> or <c>failed</c>, with its attempts and last error.
/// <see cref="Address"/> is null unless the caller may read the person's contact details.
/// </summary>
public sealed record NotificationRecord(
    long Id, long AlertId, string Trigger, string Level, string OrganizationId, Actor? Person, long? RobotId, string Channel, string? Address, string State,
    bool Held, DateTimeOffset CreatedAt, DateTimeOffset DueAt, int Attempts, DateTimeOffset? LastAttemptAt, string? LastError, DateTimeOffset? SentAt);

/// <summary>
/// A shift of a unit's duty roster: <see cref="Person"/> is on duty from <see cref="StartsAt"/> to <see cref="EndsAt"/>;
/// <see cref="Date"/>, <see cref="Start"/> and <see cref="End"/> are the same in local time (Asia/Shanghai), an end at
/// or before the start being on the next day.
/// </summary>
public sealed record Shift(
    long Id, string OrganizationId, Actor Person, string Date, string Start, string End, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string? Note,
    DateTimeOffset UpdatedAt, Actor UpdatedBy);

/// <summary>A shift to create or to replace: a person of the unit, a local date (<c>yyyy-MM-dd</c>) and local times (<c>HH:mm</c>).</summary>
public sealed record ShiftRequest(string UserId, string Date, string Start, string End, string? Note = null);

/// <summary>Who of a unit is on duty at <see cref="At"/>, and the shift that comes next.</summary>
public sealed record DutyNow(string OrganizationId, string OrganizationName, DateTimeOffset At, IReadOnlyList<Shift> OnDuty, Shift? Next);

/// <summary>A hand-over to write: the note for the incoming officer, and the shift handed over (the caller's own when null).</summary>
public sealed record HandoverRequest(string Note, long? ShiftId = null);

/// <summary>One of the unit's alerts at a hand-over; <see cref="Missed"/> names the deadlines it had missed then.</summary>
public sealed record HandoverAlert(
    long AlertId, string Level, string Domain, string District, string DeviceId, string RuleTitle, string AlertState, string UnitState, Actor? Assignee,
    DateTimeOffset? AcknowledgeBy, DateTimeOffset? ResolveBy, IReadOnlyList<string> Missed);

/// <summary>
/// A hand-over at shift change (交接班): the outgoing officer's note and the unit's alerts still being handled as they
/// stood at <see cref="At"/>, kept as written; the incoming officer accepts it once.
/// </summary>
public sealed record Handover(
    long Id, string OrganizationId, DateTimeOffset At, Actor Outgoing, long ShiftId, DateTimeOffset ShiftStartsAt, DateTimeOffset ShiftEndsAt,
    Actor? Incoming, long? IncomingShiftId, string Note, int OpenCount, int OverdueCount, IReadOnlyList<HandoverAlert> Alerts,
    DateTimeOffset? AcceptedAt, Actor? AcceptedBy, string? AcceptNote);

/// <summary>An organization by id and name.</summary>
public sealed record OrganizationReference(string OrganizationId, string? Name);

/// <summary>
/// A step of an alert's supervision chain: <see cref="Unit"/> missed its <see cref="Missed"/> deadline
/// (<c>acknowledge</c> or <c>resolve</c>) and the step (one of <see cref="SupervisionSteps"/>, <see cref="Level"/> 1 to 3)
/// told <see cref="Target"/> and <see cref="People"/>; <see cref="NextStepAt"/> is null at the chain's end.
/// </summary>
public sealed record SupervisionStep(
    int Level, string Step, DateTimeOffset At, string Missed, DateTimeOffset Deadline, OrganizationReference Unit, OrganizationReference Target,
    IReadOnlyList<Actor> People, DateTimeOffset? NextStepAt, string Reason);

/// <summary>The steps of the supervision chain, in order.</summary>
public static class SupervisionSteps
{
    public const string Lead = "lead";
    public const string Supervisor = "supervisor";
    public const string Operator = "operator";
}

/// <summary>An organization to add to an alert, as <see cref="UnitRoles.Lead"/> or <see cref="UnitRoles.Participant"/> (the default).</summary>
public sealed record AddUnitRequest(string OrganizationId, string? Role = null, string? Note = null);

/// <summary>One unit of a re-routing.</summary>
public sealed record UnitRequest(string OrganizationId, string? Role = null);

/// <summary>The units an alert goes to from now on; null <see cref="Units"/> re-applies the routing table.</summary>
public sealed record RerouteRequest(IReadOnlyList<UnitRequest>? Units = null, string? Note = null);

/// <summary>Who handles a unit's share: one of the unit's active people (<c>GET /v1/users</c>); null withdraws the assignment.</summary>
public sealed record AssignRequest(string? UserId, string? Note = null);

/// <summary>A comment on an alert: 1 to 2000 characters.</summary>
public sealed record CommentRequest(string Text);

/// <summary>A comment, with its author and the unit the author spoke for (null when none of the alert's units).</summary>
public sealed record Comment(DateTimeOffset At, Actor Author, string? OrganizationId, string Text);

/// <summary>
/// A unit's feedback when it resolves its share (LOOP-007): the measures taken, a <paramref name="Cause"/> of the alert's
/// domain (<see cref="IClosedLoopApi.ListFeedbackCausesAsync"/>), whether it was a false alarm, and the ids of photos and
/// PDFs uploaded first with <see cref="IClosedLoopApi.UploadAlertAttachmentAsync"/>.
/// </summary>
public sealed record ResolveUnitRequest(string Measures, string? Cause = null, bool? FalseAlarm = null, IReadOnlyList<long>? Attachments = null);

/// <summary>A cause category of the spec's catalogue (feedback/causes.json): a domain's own, or <see cref="Common"/> to every domain.</summary>
public sealed record FeedbackCause(string Id, string Name, string NameZh, bool Common);

/// <summary>
/// A photo (image/jpeg, image/png) or PDF (application/pdf) uploaded to an alert; <see cref="MediaType"/> is judged from
/// the content. <see cref="FeedbackId"/> is the feedback that names it, null while no resolve has.
/// </summary>
public sealed record Attachment(
    long Id, long AlertId, string OrganizationId, string Name, string MediaType, long Size, string Sha256, DateTimeOffset UploadedAt, Actor? UploadedBy, long? FeedbackId);

/// <summary>The structured feedback of one resolution: of a unit's share, or of an alert no unit worked on.</summary>
public sealed record Feedback(
    long Id, long AlertId, string OrganizationId, string? Cause, string? CauseName, string? CauseNameZh, string Measures, bool FalseAlarm,
    DateTimeOffset At, Actor? By, IReadOnlyList<Attachment> Attachments);

/// <summary>False-alarm rates per device, profile, adapter or rule (<see cref="GroupBy"/>) over the alerts whose condition began in [<see cref="From"/>, <see cref="To"/>).</summary>
public sealed record FalseAlarmRates(string GroupBy, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<FalseAlarmRate> Items);

/// <summary>
/// One device (with its <see cref="OrganizationId"/>), profile, adapter or rule (<c>{profile}/{ruleId}</c>): the alerts
/// resolved with feedback, the false alarms among them and their share.
/// </summary>
public sealed record FalseAlarmRate(string Key, string? OrganizationId, int Resolved, int FalseAlarms, double Rate);

/// <summary>The loop's measures per unit, district or domain (<see cref="GroupBy"/>) over [<see cref="From"/>, <see cref="To"/>).</summary>
public sealed record LoopMeasures(string GroupBy, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<LoopMeasureRow> Items);

/// <summary>
/// One unit's, district's or domain's measures. Times are seconds, counted per unit share from the raise to the
/// routing (dispatch) and from the routing to the acknowledgement and the resolution; null where no share took the step.
/// </summary>
public sealed record LoopMeasureRow(
    string Key, string? Name, int Alerts, int Red, int Orange, int Yellow, int Blue, int Shares, int Acknowledged, int Resolved,
    double? DispatchP50, double? DispatchP90, double? AcknowledgeP50, double? AcknowledgeP90, double? ResolveP50, double? ResolveP90,
    int Overdue, double? OverdueRate, int? Devices, double? AlertsPer100Devices, int Judged, int FalseAlarms, int ReviewsDone, int ReviewsPending);

/// <summary>Whether a review is asked of an alert, and written.</summary>
public static class ReviewStatuses
{
    public const string Pending = "pending";
    public const string Done = "done";
    public const string NotRequired = "not-required";
}

/// <summary>The lessons (required, at most 8000 characters) and follow-up actions (at most 4000) of a review.</summary>
public sealed record ReviewRequest(string Lessons, string? FollowUp = null);

/// <summary>A closed orange or red alert's review record (复盘): what the hub recorded while it was handled, and the lessons written.</summary>
public sealed record Review(
    Alert Alert, string Status, IReadOnlyList<ReviewStep> Timeline, IReadOnlyList<AlertUnit> Units, IReadOnlyList<Feedback> Feedback,
    string? Lessons, string? FollowUp, Actor? WrittenBy, DateTimeOffset? WrittenAt);

/// <summary>
/// One step of an alert's handling: a history kind (raised, unit.acknowledged, assigned, unit.resolved, closed, …) or
/// <c>supervision</c>, when <see cref="SupervisedBy"/> was told that <see cref="Organization"/> missed a deadline.
/// </summary>
public sealed record ReviewStep(
    DateTimeOffset At, string Kind, Actor? Actor, string? Organization, string Level, string? PreviousLevel, Actor? Assignee, string? Note,
    string? SupervisedBy, string? Missed);

/// <summary>A closed orange or red alert in the list of reviews.</summary>
public sealed record ReviewSummary(
    long AlertId, string Identifier, string Level, string Domain, string District, string DeviceId, string RuleTitle,
    DateTimeOffset ObservedAt, DateTimeOffset ClosedAt, string Status, DateTimeOffset? WrittenAt);

/// <summary>What part a unit plays: 牵头 (lead) or 按职责分工负责 (participant).</summary>
public static class UnitRoles
{
    public const string Lead = "lead";
    public const string Participant = "participant";
}

/// <summary>Where a unit is in its share of an alert.</summary>
public static class UnitStates
{
    public const string Routed = "routed";
    public const string Acknowledged = "acknowledged";
    public const string Resolved = "resolved";
    public const string Removed = "removed";
}
