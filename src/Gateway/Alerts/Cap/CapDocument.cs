using System.Globalization;
using System.Xml.Linq;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Gateway.Organizations;

namespace IntegrationHub.Gateway.Alerts.Cap;

/// <summary>
/// Renders an alert's steps as CAP 1.2 (OASIS), valid against the CAP 1.2 XSD: the raising as an Alert, each level
/// change or reopening as an Update referencing the first message, the clearing as a Cancel. Times carry +08:00
/// (CAP's dateTime pattern rejects Z and fractions); severity uses the OASIS values, the national colour travels as
/// eventCode <c>warningLevel</c>, and the district as <c>area/geocode</c>.
/// </summary>
internal static class CapDocument
{
    public const string Namespace = "urn:oasis:names:tc:emergency:cap:1.2";
    public const string MediaType = "application/cap+xml";

    /// <summary>The media type of a CAP document's JSON projection (cap/README.md §6).</summary>
    public const string JsonMediaType = "application/json";

    private static readonly XNamespace Cap = Namespace;

    /// <summary>The alert steps that produce a CAP message, and the message type each produces.</summary>
    public static string? MessageType(string kind) => kind switch
    {
        "raised" => "Alert",
        "escalated" or "deescalated" or "reopened" => "Update",
        "cleared" => "Cancel",
        _ => null,
    };

    public static XDocument Render(Alert alert, AlertEvent step, DateTimeOffset firstSent, AlertOptions options)
    {
        var messageType = MessageType(step.Kind) ?? throw new ArgumentException($"An alert step '{step.Kind}' has no CAP message.", nameof(step));
        var sent = DateTimeOffset.FromUnixTimeMilliseconds(step.At);
        var level = step.Level;
        var cancel = messageType == "Cancel";
        var headline = cancel
            ? $"{options.SenderName}解除{alert.RuleTitle}{Colour(level)}预警"
            : $"{options.SenderName}发布{alert.RuleTitle}{Colour(level)}预警";

        var info = new XElement(Cap + "info",
            new XElement(Cap + "language", "zh-CN"),
            new XElement(Cap + "category", Category(alert.Domain)),
            new XElement(Cap + "event", alert.RuleTitle),
            new XElement(Cap + "responseType", cancel ? "AllClear" : "Monitor"),
            new XElement(Cap + "urgency", cancel ? "Past" : level >= AlertLevel.Orange ? "Immediate" : "Expected"),
            new XElement(Cap + "severity", Severity(level)),
            new XElement(Cap + "certainty", "Observed"),
            EventCode("warningLevel", level.ToWire()),
            EventCode("ruleId", alert.RuleId),
            new XElement(Cap + "effective", Time(sent)),
            new XElement(Cap + "onset", Time(DateTimeOffset.FromUnixTimeMilliseconds(alert.ObservedAt))),
            new XElement(Cap + "senderName", options.SenderName),
            new XElement(Cap + "headline", headline),
            new XElement(Cap + "description", Describe(alert, step)),
            Parameter("deviceId", alert.DeviceId),
            Parameter("profile", alert.ProfileId),
            Parameter("organization", alert.OrganizationId),
            alert.Metric is null ? null : Parameter("metric", alert.Metric),
            step.Value is { } value ? Parameter("value", value.ToString(CultureInfo.InvariantCulture) + (alert.Unit is null ? "" : " " + alert.Unit)) : null,
            step.Text is { } text ? Parameter("state", text) : null,
            new XElement(Cap + "area",
                new XElement(Cap + "areaDesc", $"GB/T 2260 {alert.District}"),
                new XElement(Cap + "circle", string.Create(CultureInfo.InvariantCulture, $"{alert.Lat},{alert.Lon} 0")),
                new XElement(Cap + "geocode", new XElement(Cap + "valueName", "GB/T 2260"), new XElement(Cap + "value", alert.District))));

        var root = new XElement(Cap + "alert",
            new XElement(Cap + "identifier", step.CapIdentifier),
            new XElement(Cap + "sender", options.Sender),
            new XElement(Cap + "sent", Time(sent)),
            // A sandbox adapter's alert is a drill: CAP's status for technical testing, which every recipient disregards (ALR-004).
            new XElement(Cap + "status", alert.Sandbox ? "Test" : "Actual"),
            new XElement(Cap + "msgType", messageType),
            new XElement(Cap + "scope", "Public"),
            messageType == "Alert" ? null : new XElement(Cap + "references", $"{options.Sender},{alert.Identifier},{Time(firstSent)}"),
            info);
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    /// <summary>Whether the caller asked for the JSON projection (<c>Accept: application/json</c>) rather than the XML.</summary>
    public static bool WantsJson(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals(JsonMediaType, StringComparison.OrdinalIgnoreCase));

    /// <summary>CAP dateTime: seconds, explicit offset, Beijing time.</summary>
    public static string Time(DateTimeOffset time) => time.ToOffset(CapIdentifiers.Beijing).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>OASIS severities for the national colours (red→Extreme, orange→Severe, yellow→Moderate, blue→Minor).</summary>
    public static string Severity(AlertLevel level) => level switch
    {
        AlertLevel.Red => "Extreme",
        AlertLevel.Orange => "Severe",
        AlertLevel.Yellow => "Moderate",
        _ => "Minor",
    };

    private static string Colour(AlertLevel level) => level switch
    {
        AlertLevel.Red => "红色",
        AlertLevel.Orange => "橙色",
        AlertLevel.Yellow => "黄色",
        _ => "蓝色",
    };

    private static string Category(string domain) => domain switch
    {
        "fire" or "forest-fire" => "Fire",
        "traffic" => "Transport",
        "geology" or "earthquake" => "Geo",
        "weather" or "marine" or "flood" => "Met",
        "gas" or "industry" or "enterprise" or "special-equipment" or "crowded-place" => "Safety",
        _ => "Infra",
    };

    private static string Describe(Alert alert, AlertEvent step) =>
        step.Value is { } value
            ? string.Create(CultureInfo.InvariantCulture, $"Device {alert.DeviceId} ({alert.ProfileId}), rule {alert.RuleId}: {alert.Metric} = {value} {alert.Unit}; level {step.Level.ToWire()} ({step.Kind}).")
            : $"Device {alert.DeviceId} ({alert.ProfileId}), rule {alert.RuleId}: {step.Text ?? step.Kind}; level {step.Level.ToWire()} ({step.Kind}).";

    private static XElement EventCode(string name, string value) =>
        new(Cap + "eventCode", new XElement(Cap + "valueName", name), new XElement(Cap + "value", value));

    private static XElement Parameter(string name, string value) =>
        new(Cap + "parameter", new XElement(Cap + "valueName", name), new XElement(Cap + "value", value));
}
