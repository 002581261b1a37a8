using System.Text.Json;
using System.Text.Json.Serialization;

namespace IntegrationHub.Conformance.Certification;

/// <summary>
/// The outcome of one certification run: which conformance classes passed, each check with the requirement it tests,
/// and every finding. The hub signs it (<see cref="ReportSignature"/>); the CLI renders it as JSON, JUnit XML and HTML.
/// </summary>
public sealed record CertificationReport
{
    public const string CurrentVersion = "1";

    public string ReportVersion { get; init; } = CurrentVersion;

    /// <summary><c>hub-session</c> (an adapter pushing to a hub's sandbox) or <c>pull-endpoint</c> (a vendor platform the hub pulls from).</summary>
    public required string Kind { get; init; }

    /// <summary>The session's id on the hub; null for runs the CLI makes on its own.</summary>
    public string? CertificationId { get; init; }

    /// <summary>The hub that ran and signed the report (its issuer), or the pulled endpoint.</summary>
    public required string Target { get; init; }

    public string? OrganizationId { get; init; }
    public string? AdapterId { get; init; }
    public string? Profile { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset FinishedAt { get; init; }
    public required bool Passed { get; init; }
    public required IReadOnlyList<ClassResult> Classes { get; init; }

    /// <summary>Counts of what arrived, for the reader.</summary>
    public IReadOnlyDictionary<string, int>? Arrivals { get; init; }

    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, CertificationJsonContext.Default.CertificationReport);

    public static CertificationReport Parse(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, CertificationJsonContext.Default.CertificationReport) ?? throw new JsonException("The report is empty.");
}

/// <summary>One conformance class (<c>core-http</c>, <c>core-mqtt</c>, <c>profile:…</c>, <c>pull-http</c>): passed when all its checks pass.</summary>
public sealed record ClassResult(string Id, bool Passed, IReadOnlyList<CheckResult> Checks);

/// <summary>One check, named after what it tests, with the requirement of specs/requirements.json it enforces.</summary>
public sealed record CheckResult(string Id, string Requirement, string Title, bool Passed, IReadOnlyList<CheckFinding> Findings, int MoreFindings = 0);

/// <summary>One thing a check found wrong: the requirement, the stable error code, where, and how to fix it.</summary>
public sealed record CheckFinding(string Requirement, string Code, string Pointer, string Detail)
{
    public string? Hint { get; init; }
    public string? MessageId { get; init; }
    public string? DeviceId { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(CertificationReport))]
[JsonSerializable(typeof(SessionInstructions))]
internal sealed partial class CertificationJsonContext : JsonSerializerContext;
