using System.Collections.Frozen;
using IntegrationHub.Conformance.Profiles;

namespace IntegrationHub.Gateway.SourceHealth;

/// <summary>
/// A rule of the hub's own <c>system</c> rule set (specs/rules.md §14): it watches the sources and the hub rather than a
/// device's metrics, so no profile declares it. Its alerts run the same loop as every other alert: routed by the
/// domain <c>system</c> and the district, acknowledged, resolved, cleared when the condition ends.
/// </summary>
internal sealed record SystemRule : RuleDefinition
{
    public required AlertLevel Level { get; init; }

    /// <summary>The requirement the rule enforces (specs/requirements.json).</summary>
    public required string Requirement { get; init; }

    public override string? WatchedMetric => null;

    public override string Kind => SystemRules.Kind;
}

/// <summary>The <c>system</c> rule set: its ids, levels and titles, as specs/rules.md §14 lists them.</summary>
internal static class SystemRules
{
    /// <summary>The domain, profile and rule kind of system alerts.</summary>
    public const string Domain = "system", Kind = "system";

    public static readonly SystemRule AdapterSilent = new()
    {
        Id = "system.adapter-silent", Level = AlertLevel.Orange, Requirement = "HLT-003",
        Title = "Adapter silent: none of its devices reported within k reporting intervals",
        TitleZh = "接入系统中断（全部设备超过 k 个上报周期无数据）",
    };

    public static readonly SystemRule OnlineRate = new()
    {
        Id = "system.online-rate", Level = AlertLevel.Orange, Requirement = "HLT-004",
        Title = "Online rate of a district and domain below its floor",
        TitleZh = "区域在线率低于下限",
    };

    public static readonly SystemRule OutboxLag = new()
    {
        Id = "system.outbox-lag", Level = AlertLevel.Yellow, Requirement = "HLT-005",
        Title = "Event delivery lagging behind the outbox",
        TitleZh = "事件分发积压",
    };

    public static readonly SystemRule DiskSpace = new()
    {
        Id = "system.disk-space", Level = AlertLevel.Orange, Requirement = "HLT-005",
        Title = "Free disk space of the data directory low",
        TitleZh = "数据目录磁盘剩余空间不足",
    };

    public static readonly SystemRule BrokerLink = new()
    {
        Id = "system.broker-link", Level = AlertLevel.Orange, Requirement = "HLT-005",
        Title = "Link to the external MQTT broker down",
        TitleZh = "外部 MQTT 代理连接中断",
    };

    public static readonly SystemRule CertificateExpiry = new()
    {
        Id = "system.certificate-expiry", Level = AlertLevel.Blue, Requirement = "HLT-005",
        Title = "TLS certificate close to expiry",
        TitleZh = "TLS 证书即将过期",
    };

    public static readonly FrozenDictionary<string, SystemRule> All =
        new[] { AdapterSilent, OnlineRate, OutboxLag, DiskSpace, BrokerLink, CertificateExpiry }.ToFrozenDictionary(r => r.Id, StringComparer.Ordinal);

    /// <summary>The open key of a system alert: one open alert per rule and subject (an adapter, a district and domain, the hub's part).</summary>
    public static string OpenKey(string ruleId, string subject) => $"system:{ruleId}:{subject}";
}
