using System.Collections.Frozen;
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
