using System.Globalization;
using IntegrationHub.Conformance.Profiles;

namespace IntegrationHub.Conformance.Certification;

/// <summary>
/// What the vendor sends to prove alarm-on-threshold (CERT-006): one device reports a value past the profile's highest
/// threshold, in the profile's unit, for as many consecutive messages as the rule needs.
/// </summary>
public sealed record ThresholdStep(string DeviceId, string Metric, double Value, string Unit, int Messages, string RuleId)
{
    /// <summary>The step for a profile: its first threshold rule on a quantity whose levels need samples, not time.</summary>
    public static ThresholdStep? For(CompiledProfile profile, string deviceId)
    {
        foreach (var rule in profile.Definition.Rules.OfType<ThresholdRule>())
        {
            if (!profile.Metrics.TryGetValue(rule.Metric, out var metric) || metric.Kind != MetricKind.Quantity || rule.ActiveDuring is not null)
            {
                continue;
            }
            var levels = rule.Levels.Defined().ToList();
            if (levels.Count == 0 || levels.Any(l => l.Threshold.For?.Duration is not null))
            {
                continue;
            }
            var (_, highest) = levels[^1];
            if (highest.Value.Resolve(profile.DefaultParameters) is not { } threshold)
            {
                continue;
            }
            var above = rule.Direction == "above";
            var range = metric.Definition.Range;
            var margin = Math.Max(Math.Abs(threshold) * 0.1, 1);
            var value = above ? threshold + margin : threshold - margin;
            if (range is not null)
            {
                value = Math.Clamp(value, range.Min, range.Max);
            }
            if (above ? value <= threshold : value >= threshold)
            {
                continue;
            }
            var messages = Math.Max(1, levels.Max(l => l.Threshold.For?.Samples ?? 1));
            return new ThresholdStep(deviceId, rule.Metric, Math.Round(value, 3), metric.Unit!, messages, rule.Id);
        }
        return null;
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"device {DeviceId} reports {Metric} = {Value} {Unit} in {Messages} consecutive message(s) (rule {RuleId})");
}

/// <summary>What the vendor must send during a session; the hub returns it when the session opens.</summary>
public sealed record SessionInstructions
{
    public required string CertificationId { get; init; }
    public required string Profile { get; init; }
    public required IReadOnlyList<string> Classes { get; init; }

    /// <summary><c>http</c> (POST /v1/telemetry) or <c>mqtt</c> (hub/v1/ingest/{clientId}).</summary>
    public required string Transport { get; init; }
    public required IReadOnlyList<string> Devices { get; init; }

    /// <summary>Each device reports at least this often.</summary>
    public required TimeSpan Interval { get; init; }

    /// <summary>How long the vendor sends before the session is evaluated.</summary>
    public required TimeSpan Duration { get; init; }
    public required TimeSpan MaxClockSkew { get; init; }
    public ThresholdStep? ThresholdStep { get; init; }
    public required DateTimeOffset OpenedAt { get; init; }

    public byte[] ToUtf8Json() => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(this, CertificationJsonContext.Default.SessionInstructions);

    public static SessionInstructions Parse(ReadOnlySpan<byte> json) =>
        System.Text.Json.JsonSerializer.Deserialize(json, CertificationJsonContext.Default.SessionInstructions) ?? throw new System.Text.Json.JsonException("empty");
}
