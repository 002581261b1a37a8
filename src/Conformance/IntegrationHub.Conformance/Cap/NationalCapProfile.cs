using System.Collections.Frozen;
using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace IntegrationHub.Conformance.Cap;

/// <summary>
/// The national warning-release profile of CAP 1.2 (GB/T 35965.1 and the national 预警信息发布系统) uses values the
/// OASIS schema does not know: severity Red/Orange/Yellow/Blue and certainty VeryLikely. Before an inbound document is
/// checked against the OASIS XSD, the hub maps them (CAP-003, specs/cap/README.md): the colour becomes the OASIS
/// severity and is kept as the eventCode <c>warningLevel</c>; VeryLikely becomes Likely.
/// </summary>
public static class NationalCapProfile
{
    public static readonly XNamespace Cap = "urn:oasis:names:tc:emergency:cap:1.2";

    /// <summary>National colour → (OASIS severity, the hub's level name).</summary>
    public static readonly FrozenDictionary<string, (string Severity, string Level)> Colours = new Dictionary<string, (string, string)>(StringComparer.Ordinal)
    {
        ["Red"] = ("Extreme", "red"),
        ["Orange"] = ("Severe", "orange"),
        ["Yellow"] = ("Moderate", "yellow"),
        ["Blue"] = ("Minor", "blue"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public const string WarningLevelCode = "warningLevel";

    /// <summary>The eventCode naming the national event type (国家应急平台体系信息资源分类与编码规范), such as <c>11B01</c>, typhoon.</summary>
    public const string EventTypeCode = "eventType";

    /// <summary>
    /// The hub's domain for each class of natural hazard in the national event-type codes [S]: 11A floods and droughts,
    /// 11B meteorological, 11C earthquakes, 11D geological, 11E marine, 11G forest and grassland fires.
    /// </summary>
    public static readonly FrozenDictionary<string, string> EventTypeDomains = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["11A"] = "flood",
        ["11B"] = "weather",
        ["11C"] = "earthquake",
        ["11D"] = "geology",
        ["11E"] = "marine",
        ["11G"] = "forest-fire",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The domain of a category, for documents without a national event type.</summary>
    private static readonly FrozenDictionary<string, string> CategoryDomains = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Met"] = "weather",
        ["Geo"] = "earthquake",
        ["Fire"] = "forest-fire",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// Which hub domain an agency's warning belongs to (specs/cap/README.md §4): its national event type's class, else
    /// its first category; null when neither names a natural hazard the hub takes.
    /// </summary>
    /// <param name="info">An <c>info</c> of the JSON projection, after the mapping to OASIS values.</param>
    public static string? Domain(JsonObject info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (Code(info, EventTypeCode) is { } eventType)
        {
            return eventType.Length >= 3 && EventTypeDomains.TryGetValue(eventType[..3], out var domain) ? domain : null;
        }
        return info["category"] is JsonArray { Count: > 0 } categories && (string?)categories[0] is { } category && CategoryDomains.TryGetValue(category, out var byCategory)
            ? byCategory
            : null;
    }

    /// <summary>The warning's colour: its <c>warningLevel</c> eventCode, else its OASIS severity read back; null for Unknown.</summary>
    /// <param name="info">An <c>info</c> of the JSON projection, after the mapping to OASIS values.</param>
    public static string? Level(JsonObject info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (Code(info, WarningLevelCode) is { } level && Colours.Values.Any(c => c.Level == level))
        {
            return level;
        }
        var severity = (string?)info["severity"];
        return Colours.Values.FirstOrDefault(c => c.Severity == severity).Level;
    }

    private static string? Code(JsonObject info, string name) =>
        info["eventCode"] is JsonArray codes
            ? codes.OfType<JsonObject>().Where(c => (string?)c["valueName"] == name).Select(c => (string?)c["value"]).FirstOrDefault()
            : null;

    /// <summary>Maps a document's national values to OASIS values in place; returns whether anything changed.</summary>
    public static bool MapToOasis(XDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var changed = false;
        foreach (var info in document.Root?.Elements(Cap + "info") ?? [])
        {
            if (info.Element(Cap + "certainty") is { Value: "VeryLikely" } certainty)
            {
                certainty.Value = "Likely";
                changed = true;
            }
            if (info.Element(Cap + "severity") is not { } severity || !Colours.TryGetValue(severity.Value, out var mapped))
            {
                continue;
            }
            severity.Value = mapped.Severity;
            changed = true;
            if (info.Elements(Cap + "eventCode").Any(e => (string?)e.Element(Cap + "valueName") == WarningLevelCode))
            {
                continue;
            }
            // eventCode follows certainty, audience and any eventCode already there (the schema fixes the order).
            var after = info.Elements(Cap + "eventCode").LastOrDefault() ?? info.Element(Cap + "audience") ?? info.Element(Cap + "certainty")!;
            after.AddAfterSelf(new XElement(Cap + "eventCode", new XElement(Cap + "valueName", WarningLevelCode), new XElement(Cap + "value", mapped.Level)));
        }
        return changed;
    }
}
