namespace IntegrationHub.Client.Certification;

/// <summary>
/// A session to open: the profile to certify, 1 to the hub's limit of devices registered under the adapter with that
/// profile, and the transport class (<see cref="CertificationClasses.CoreHttp"/>, the default, or
/// <see cref="CertificationClasses.CoreMqtt"/>). The interval defaults to the profile's reporting interval and the
/// duration to ten intervals.
/// </summary>
public sealed record OpenCertificationRequest(
    string Profile, IReadOnlyList<string> Devices, string? Class = null, double? IntervalSeconds = null, double? DurationSeconds = null);

/// <summary>
/// A certification session. <see cref="State"/> is one of <see cref="CertificationStates"/>; <see cref="Arrivals"/>
/// counts the messages recorded so far; <see cref="PassedClasses"/>, <see cref="EvaluatedAt"/>, <see cref="Report"/>
/// and <see cref="SignedReport"/> are set once it is evaluated (the list leaves the report out);
/// <see cref="AdapterStatus"/> is the adapter's status after an evaluation.
/// </summary>
public sealed record CertificationSession(
    string Id, string AdapterId, string State, SessionInstructions Instructions, int Arrivals, IReadOnlyList<string> AlertedDevices,
    IReadOnlyList<string>? PassedClasses = null, DateTimeOffset? EvaluatedAt = null, CertificationReport? Report = null, string? SignedReport = null,
    string? AdapterStatus = null);

/// <summary>
/// What to send during a session: each device at least every <see cref="Interval"/> for <see cref="Duration"/>, with
/// times within <see cref="MaxClockSkew"/> of the hub's clock, over <see cref="Transport"/> (<c>http</c>: POST
/// /v1/telemetry; <c>mqtt</c>: hub/v1/ingest/{clientId}), and the <see cref="ThresholdStep"/> somewhere in between.
/// </summary>
public sealed record SessionInstructions(
    string CertificationId, string Profile, IReadOnlyList<string> Classes, string Transport, IReadOnlyList<string> Devices,
    TimeSpan Interval, TimeSpan Duration, TimeSpan MaxClockSkew, DateTimeOffset OpenedAt, ThresholdStep? ThresholdStep = null);

/// <summary>Alarm on threshold (CERT-006): <see cref="DeviceId"/> reports <see cref="Metric"/> = <see cref="Value"/> <see cref="Unit"/> in <see cref="Messages"/> consecutive messages, which must raise an alert of rule <see cref="RuleId"/>.</summary>
public sealed record ThresholdStep(string DeviceId, string Metric, double Value, string Unit, int Messages, string RuleId);

/// <summary>
/// The graded report the hub signs: which conformance classes passed, each check with the requirement it tests, and
/// every finding. <see cref="Kind"/> is <c>hub-session</c> for a session.
/// </summary>
public sealed record CertificationReport(
    string ReportVersion, string Kind, string Target, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, bool Passed, IReadOnlyList<ClassResult> Classes,
    string? CertificationId = null, string? OrganizationId = null, string? AdapterId = null, string? Profile = null, IReadOnlyDictionary<string, int>? Arrivals = null);

/// <summary>One conformance class (<c>core-http</c>, <c>core-mqtt</c>, <c>profile:…</c>): passed when all its checks pass.</summary>
public sealed record ClassResult(string Id, bool Passed, IReadOnlyList<CheckResult> Checks);

/// <summary>One check with the requirement of the spec it enforces (<c>CERT-003</c>); <see cref="MoreFindings"/> counts findings left out of the list.</summary>
public sealed record CheckResult(string Id, string Requirement, string Title, bool Passed, IReadOnlyList<CheckFinding> Findings, int MoreFindings = 0);

/// <summary>One thing a check found wrong: the requirement, the stable error code, where, and how to fix it.</summary>
public sealed record CheckFinding(string Requirement, string Code, string Pointer, string Detail, string? Hint = null, string? MessageId = null, string? DeviceId = null);

/// <summary>The states of a session.</summary>
public static class CertificationStates
{
    public const string Open = "open";
    public const string Passed = "passed";
    public const string Failed = "failed";
}

/// <summary>The conformance classes a session grades: one transport class, and the profile's class with it.</summary>
public static class CertificationClasses
{
    public const string CoreHttp = "core-http";
    public const string CoreMqtt = "core-mqtt";

    /// <summary>The class of a profile, e.g. <c>profile:gas.underground-methane</c>.</summary>
    public static string Profile(string profileId) => "profile:" + profileId;
}
