using System.Globalization;
using System.Xml.Linq;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Organizations;

namespace IntegrationHub.Gateway.Alerts.Cap;

/// <summary>
/// Renders an alert's steps as CAP 1.2 (OASIS), valid against the CAP 1.2 XSD, field by field as specs/cap/README.md §5
/// fixes them: the raising as an Alert, each level change or reopening as an Update referencing the first message, the
/// clearing as a Cancel, and a close before the condition cleared as a Cancel too, so that no closed alert stays in
/// force. Times carry +08:00 (CAP's dateTime pattern rejects Z and fractions); severity uses the OASIS values, the
/// national colour travels as eventCode <c>warningLevel</c>, the district as <c>area/geocode</c>; the one info is zh-CN.
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
        "cleared" or "closed" => "Cancel",
        _ => null,
    };

    /// <summary>The eventCode naming the rule: <c>{profile}/{ruleId}</c>.</summary>
    public const string RuleEventCode = "rule";

    /// <summary>The eventCode the hub wrote before <see cref="RuleEventCode"/>, holding the rule id alone; deprecated, written until its announced removal.</summary>
    public const string DeprecatedRuleIdEventCode = "ruleId";

    public static XDocument Render(Alert alert, AlertEvent step, DateTimeOffset firstSent, AlertOptions options, SpecCatalog spec)
    {
        var messageType = MessageType(step.Kind) ?? throw new ArgumentException($"An alert step '{step.Kind}' has no CAP message.", nameof(step));
        var sent = DateTimeOffset.FromUnixTimeMilliseconds(step.At);
        var level = step.Level;
        var cancel = messageType == "Cancel";
        var texts = CapTexts.For(alert, step, spec);

        var info = new XElement(Cap + "info",
            new XElement(Cap + "language", "zh-CN"),
            new XElement(Cap + "category", Category(alert.Domain)),
            new XElement(Cap + "event", texts.Event),
            new XElement(Cap + "responseType", cancel ? "AllClear" : "Monitor"),
            new XElement(Cap + "urgency", cancel ? "Past" : level >= AlertLevel.Orange ? "Immediate" : "Expected"),
            new XElement(Cap + "severity", Severity(level)),
            new XElement(Cap + "certainty", "Observed"),
            EventCode("warningLevel", level.ToWire()),
            EventCode(RuleEventCode, $"{alert.ProfileId}/{alert.RuleId}"),
            EventCode(DeprecatedRuleIdEventCode, alert.RuleId),
            new XElement(Cap + "effective", Time(sent)),
            new XElement(Cap + "onset", Time(DateTimeOffset.FromUnixTimeMilliseconds(alert.ObservedAt))),
            new XElement(Cap + "senderName", options.SenderName),
            new XElement(Cap + "headline", texts.Headline),
            new XElement(Cap + "description", texts.Description),
            Parameter("deviceId", alert.DeviceId),
            Parameter("profile", alert.ProfileId),
            Parameter("organization", alert.OrganizationId),
            alert.Metric is null ? null : Parameter("metric", alert.Metric),
            step.Value is { } value ? Parameter("value", value.ToString(CultureInfo.InvariantCulture) + (alert.Unit is null ? "" : " " + alert.Unit)) : null,
            step.Text is { } text ? Parameter("state", text) : null,
            new XElement(Cap + "area",
                new XElement(Cap + "areaDesc", texts.AreaDesc),
                new XElement(Cap + "circle", string.Create(CultureInfo.InvariantCulture, $"{alert.Lat},{alert.Lon} {options.CapCircleRadiusKm}")),
                new XElement(Cap + "geocode", new XElement(Cap + "valueName", "GB/T 2260"), new XElement(Cap + "value", alert.District))));

        var system = alert.Domain == SourceHealth.SystemRules.Domain;
        var root = new XElement(Cap + "alert",
            new XElement(Cap + "identifier", step.CapIdentifier),
            new XElement(Cap + "sender", options.Sender),
            new XElement(Cap + "sent", Time(sent)),
            // A sandbox adapter's alert is a drill: CAP's status for technical testing, which every recipient disregards (ALR-004).
            // The hub's own health is for the duty desk, not the public: CAP's status for the alert network's internal
            // functions, restricted to the desk (HLT-003).
            new XElement(Cap + "status", alert.Sandbox ? "Test" : system ? "System" : "Actual"),
            new XElement(Cap + "msgType", messageType),
            new XElement(Cap + "scope", system ? "Restricted" : "Public"),
            system ? new XElement(Cap + "restriction", "值班室 / duty desk") : null,
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

    /// <summary>
    /// The CAP category of a domain (cap/README.md §5): utilities are Infra, what carries traffic is Transport (CAP's
    /// Infra is "non-transport infrastructure"), people and plants are Safety.
    /// </summary>
    public static string Category(string domain) => domain switch
    {
        "gas" or "water" or "drainage" or "heating" or "utility-tunnel" or SourceHealth.SystemRules.Domain => "Infra",
        "bridge" or "metro" or "tunnel" or "traffic" => "Transport",
        "fire" or "forest-fire" => "Fire",
        "geology" or "earthquake" => "Geo",
        "weather" or "marine" or "flood" => "Met",
        _ => "Safety",
    };

    private static XElement EventCode(string name, string value) =>
        new(Cap + "eventCode", new XElement(Cap + "valueName", name), new XElement(Cap + "value", value));

    private static XElement Parameter(string name, string value) =>
        new(Cap + "parameter", new XElement(Cap + "valueName", name), new XElement(Cap + "value", value));
}
