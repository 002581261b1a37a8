namespace IntegrationHub.Client.Alerts;

/// <summary>
/// The JSON projection of a CAP 1.2 message (<c>GET /v1/alerts/{id}/cap</c> with <c>Accept: application/json</c>):
/// CAP's own element names, and the elements CAP lets repeat always as arrays. Times carry their offset
/// (<c>+08:00</c>), as CAP requires.
/// </summary>
public sealed record CapMessage(
    string Identifier, string Sender, DateTimeOffset Sent, string Status, string MsgType, string Scope, IReadOnlyList<CapInfo> Info, string? References = null);

/// <summary>
/// A CAP <c>info</c> block, in Chinese (<c>zh-CN</c>; specs/cap/README.md §5). The national level travels as the
/// <c>eventCode</c> <c>warningLevel</c>, the rule as <c>rule</c> (<c>{profile}/{ruleId}</c>; the deprecated <c>ruleId</c>
/// holds the rule id alone until its announced removal); the device, profile, organization and value as
/// <c>parameter</c>s; the district's name as the area's <c>areaDesc</c>.
/// </summary>
public sealed record CapInfo(
    string Language, IReadOnlyList<string> Category, string Event, IReadOnlyList<string> ResponseType, string Urgency, string Severity, string Certainty,
    IReadOnlyList<CapValue> EventCode, DateTimeOffset Effective, DateTimeOffset Onset, string SenderName, string Headline, string Description,
    IReadOnlyList<CapValue> Parameter, IReadOnlyList<CapArea> Area)
{
    /// <summary>The value of the named <c>eventCode</c>, e.g. <c>warningLevel</c>; null when there is none.</summary>
    public string? EventCodeValue(string valueName) => EventCode.FirstOrDefault(c => c.ValueName == valueName)?.Value;

    /// <summary>The value of the named <c>parameter</c>, e.g. <c>deviceId</c>; null when there is none.</summary>
    public string? ParameterValue(string valueName) => Parameter.FirstOrDefault(p => p.ValueName == valueName)?.Value;
}

/// <summary>A CAP name–value pair (<c>eventCode</c>, <c>parameter</c>, <c>geocode</c>).</summary>
public sealed record CapValue(string ValueName, string Value);

/// <summary>A CAP <c>area</c>: a description, circles (<c>lat,lon radius-km</c>) and geocodes (GB/T 2260).</summary>
public sealed record CapArea(string AreaDesc, IReadOnlyList<string>? Circle = null, IReadOnlyList<string>? Polygon = null, IReadOnlyList<CapValue>? Geocode = null);
