using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Organizations;

namespace IntegrationHub.Gateway.Alerts.Cap;

/// <summary>
/// The Chinese texts of one CAP message of the hub (specs/cap/README.md §5): the event is the rule's Chinese title, the
/// headline and the description follow one template per step, and the area is the district's name in the GB/T 2260
/// table. Every word comes from the spec's Chinese titles, so no English reaches the zh-CN info; the only Latin
/// characters are the device's id and the symbols of units.
/// </summary>
internal sealed record CapTexts(string Event, string Headline, string Description, string AreaDesc)
{
    public static CapTexts For(Alert alert, AlertEvent step, SpecCatalog spec)
    {
        var profile = spec.Profiles.GetValueOrDefault(alert.ProfileId)?.Definition;
        var rule = profile?.Rules.FirstOrDefault(r => r.Id == alert.RuleId);
        // A rule that left the spec keeps the title it was raised with.
        var ruleName = rule?.TitleZh ?? SourceHealth.SystemRules.All.GetValueOrDefault(alert.RuleId)?.TitleZh ?? alert.RuleTitle;
        var area = AreaName(alert.District, spec.Areas);
        var colour = Colour(step.Level);
        var noun = Noun(alert);
        var subject = $"{area}{noun} {alert.DeviceId} {ruleName}";

        var headline = step.Kind switch
        {
            "raised" => $"{subject}{colour}预警",
            "escalated" => $"{subject}预警升为{colour}",
            "deescalated" => $"{subject}预警降为{colour}",
            "reopened" => $"{subject}{colour}预警再次发布",
            _ => $"{subject}{colour}预警解除",
        };

        var previous = step.PreviousLevel is { } before ? Colour(before) : colour;
        var threshold = rule is ThresholdRule ? Threshold(step) : null;
        var unit = Spaced(alert.Unit);
        var reached = threshold is { } t ? $"（{colour}预警阈值 {Number(t)}{unit}）" : "";
        var conclusion = step.Kind switch
        {
            "raised" => $"达到“{ruleName}”{colour}预警条件{reached}",
            // A missed lifecycle deadline escalates without an observation (ALR-003).
            "escalated" when step.MessageRecordId is null => $"“{ruleName}”{previous}预警未在处置时限内处置，升为{colour}预警",
            "escalated" => $"“{ruleName}”预警由{previous}升为{colour}{reached}",
            "deescalated" => $"“{ruleName}”预警由{previous}降为{colour}",
            "reopened" => $"“{ruleName}”预警条件再次出现，重新发布{colour}预警{reached}",
            "cleared" => $"“{ruleName}”预警条件已解除，{colour}预警解除",
            _ => $"值班人员已关闭预警，关闭时预警条件尚未解除，{colour}预警随之解除",
        };
        var observation = Observation(alert, step, profile);
        var device = profile is null ? "" : $"（{profile.TitleZh}）";
        var description = $"{area}{noun} {alert.DeviceId}{device}{(observation is null ? "" : observation + "，")}{conclusion}。";

        return new CapTexts(ruleName, headline, description, area);
    }

    /// <summary>
    /// What the alert's subject is: a monitoring device, or, for the hub's own rules (rules.md §14), an adapter, the
    /// devices of a district and domain, or a part of the hub. An adapter is no monitoring device.
    /// </summary>
    private static string Noun(Alert alert) => alert.Domain != SourceHealth.SystemRules.Domain ? "监测设备"
        : alert.RuleId == SourceHealth.SystemRules.AdapterSilent.Id ? "接入系统"
        : alert.RuleId == SourceHealth.SystemRules.OnlineRate.Id ? "监测设备群"
        : "平台组件";

    /// <summary>The district's name in the GB/T 2260 table; a code the table no longer holds is shown as the code.</summary>
    public static string AreaName(string code, AreaCatalog areas) => areas.NameOf(code) ?? $"行政区划 {code}";

    public static string Colour(AlertLevel level) => level switch
    {
        AlertLevel.Red => "红色",
        AlertLevel.Orange => "橙色",
        AlertLevel.Yellow => "黄色",
        _ => "蓝色",
    };

    /// <summary>What the observation that made the change showed, in the profile's Chinese words; null for steps without one.</summary>
    private static string? Observation(Alert alert, AlertEvent step, DeviceProfile? profile)
    {
        if ((step.Value is null && step.Text is null) || profile is null || alert.Metric is null)
        {
            return null;
        }
        if (alert.Metric == "status.state")
        {
            return step.Text is { } state && profile.States.TryGetValue(state, out var definition) ? $"设备状态为“{definition.TitleZh}”" : null;
        }
        if (!profile.Metrics.TryGetValue(alert.Metric, out var metric))
        {
            return null;
        }
        return metric.Kind switch
        {
            MetricKind.Quantity when step.Value is { } value => $"{metric.TitleZh}为 {Number(value)}{Spaced(alert.Unit)}",
            MetricKind.Flag when step.Value is { } value => $"{metric.TitleZh}：{(value == 1 ? "是" : "否")}",
            MetricKind.State when step.Text is { } text && metric.ValueTitles.TryGetValue(text, out var titles) => $"{metric.TitleZh}为“{titles.TitleZh}”",
            MetricKind.Bitfield when step.Value is { } value => $"{metric.TitleZh}：{Flags(metric, (long)value)}",
            _ => null,
        };
    }

    /// <summary>The named flags set in a bitfield value, by their Chinese titles.</summary>
    private static string Flags(MetricDefinition metric, long value)
    {
        var set = metric.Flags
            .Select(f => (Bit: int.Parse(f.Key, CultureInfo.InvariantCulture), f.Value.TitleZh))
            .Where(f => ((value >> f.Bit) & 1) == 1)
            .OrderBy(f => f.Bit)
            .Select(f => f.TitleZh)
            .ToList();
        return set.Count == 0 ? "无报警" : string.Join("、", set);
    }

    /// <summary>The threshold the step's level met, from the causes the engine recorded.</summary>
    private static double? Threshold(AlertEvent step)
    {
        if (step.Causes is null)
        {
            return null;
        }
        using var causes = JsonDocument.Parse(step.Causes);
        foreach (var cause in causes.RootElement.EnumerateArray())
        {
            if (cause.TryGetProperty("level", out var level) && level.GetString() == step.Level.ToWire()
                && cause.TryGetProperty("threshold", out var threshold) && threshold.ValueKind == JsonValueKind.Number)
            {
                return threshold.GetDouble();
            }
        }
        return null;
    }

    private static string Number(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);

    // UCUM codes as Chinese readers write the units: SI symbols stay, annotations and words become Chinese.
    private static readonly FrozenDictionary<string, string> Units = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Cel"] = "℃",
        ["deg"] = "°",
        ["h"] = "小时",
        ["min"] = "分钟",
        ["[ppm]"] = "ppm",
        ["{persons}"] = "人",
        ["{persons}/min"] = "人/分钟",
        ["{floor}"] = "层",
        ["um/m"] = "μm/m",
        ["uS/cm"] = "μS/cm",
        ["1"] = "",
        ["d"] = "天",
        ["har"] = "公顷",
        ["kW.h"] = "kW·h",
        ["m-1"] = "m⁻¹",
        ["10*6.m3"] = "百万m³",
        ["{persons}/h"] = "人/小时",
        ["{hotspots}"] = "个热点",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The unit after a number, with its space; nothing for a dimensionless quantity (an intensity, an index).</summary>
    private static string Spaced(string? ucum) => ucum is null || Unit(ucum) is not { Length: > 0 } unit ? "" : " " + unit;

    /// <summary>A unit as the description shows it: <c>%{LEL}</c> as %LEL, <c>m3/h</c> as m³/h, <c>Cel</c> as ℃.</summary>
    public static string Unit(string ucum) =>
        Units.TryGetValue(ucum, out var unit)
            ? unit
            : ucum.Replace("{persons}", "人", StringComparison.Ordinal).Replace("{", "", StringComparison.Ordinal).Replace("}", "", StringComparison.Ordinal)
                .Replace("m3", "m³", StringComparison.Ordinal).Replace("m2", "m²", StringComparison.Ordinal).Replace("s2", "s²", StringComparison.Ordinal);
}
