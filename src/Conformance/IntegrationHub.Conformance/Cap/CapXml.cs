using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Conformance.Cap;

/// <summary>The verdict on one inbound CAP document: the document with national values mapped, its JSON projection, and every finding.</summary>
public sealed record CapVerdict(XDocument? Document, JsonObject? Projection, bool NationalProfile, IReadOnlyList<Finding> Findings)
{
    public bool Accepted => Findings.Count == 0;

    /// <summary>The document's <c>sender</c> and <c>identifier</c>, when it has them.</summary>
    public (string? Sender, string? Identifier) Key => ((string?)Projection?["sender"], (string?)Projection?["identifier"]);
}

/// <summary>
/// CAP 1.2 XML and its JSON projection (specs/cap/README.md). <see cref="Read"/> judges whether a document is valid CAP
/// (CAP-001 … CAP-004), every finding at once, with JSON pointers into the projection: well-formed XML without a DTD,
/// one <c>alert</c> in the CAP 1.2 namespace; national values mapped to OASIS values; the elements in the order, number
/// and types the OASIS schema fixes; the values schemas/cap-alert.schema.json allows. <see cref="Admit"/> adds what the
/// hub takes as an agency's warning (CAP-008). The spec does not ship the OASIS XSD, so the structure is checked here;
/// the tests hold this check to the XSD.
/// </summary>
public static partial class CapXml
{
    public const string SchemaName = "cap-alert";

    /// <summary>XML Signature, the one foreign element CAP allows, at the end of an alert.</summary>
    private static readonly XNamespace Signature = "http://www.w3.org/2000/09/xmldsig#";
    private static readonly XNamespace Instance = "http://www.w3.org/2001/XMLSchema-instance";
    private static readonly XNamespace Cap = NationalCapProfile.Cap;

    private enum Kind
    {
        Text,
        Integer,
        Decimal,
        DateTime,
        Language,
        Complex,
    }

    /// <summary>One element of a CAP sequence: its name, whether it repeats, its type, and its own sequence when complex.</summary>
    private sealed record Particle(string Name, bool Repeats = false, Kind Kind = Kind.Text, Particle[]? Children = null);

    // The content models of the OASIS CAP 1.2 schema, in its order. Which elements are required is the JSON schema's
    // business (cap-alert.schema.json says the same as the XSD); order, repetition and types are checked here.
    private static readonly Particle[] Pair = [new("valueName"), new("value")];
    private static readonly Particle[] Resource = [new("resourceDesc"), new("mimeType"), new("size", Kind: Kind.Integer), new("uri"), new("derefUri"), new("digest")];
    private static readonly Particle[] Area =
    [
        new("areaDesc"), new("polygon", true), new("circle", true), new("geocode", true, Kind.Complex, Pair),
        new("altitude", Kind: Kind.Decimal), new("ceiling", Kind: Kind.Decimal),
    ];
    private static readonly Particle[] Info =
    [
        new("language", Kind: Kind.Language), new("category", true), new("event"), new("responseType", true), new("urgency"), new("severity"),
        new("certainty"), new("audience"), new("eventCode", true, Kind.Complex, Pair), new("effective", Kind: Kind.DateTime),
        new("onset", Kind: Kind.DateTime), new("expires", Kind: Kind.DateTime), new("senderName"), new("headline"), new("description"),
        new("instruction"), new("web"), new("contact"), new("parameter", true, Kind.Complex, Pair), new("resource", true, Kind.Complex, Resource),
        new("area", true, Kind.Complex, Area),
    ];
    private static readonly Particle[] Alert =
    [
        new("identifier"), new("sender"), new("sent", Kind: Kind.DateTime), new("status"), new("msgType"), new("source"), new("scope"),
        new("restriction"), new("addresses"), new("code", true), new("note"), new("references"), new("incidents"), new("info", true, Kind.Complex, Info),
    ];

    private static readonly XmlReaderSettings Safe = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersFromEntities = 0,
        IgnoreProcessingInstructions = true,
    };

    /// <summary>Judges a document as CAP 1.2 after the national-profile mapping (specs/cap/README.md §1–§2).</summary>
    public static CapVerdict Read(ReadOnlyMemory<byte> xml, SpecCatalog spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        XDocument document;
        try
        {
            using var stream = new MemoryStream(xml.ToArray(), writable: false);
            using var reader = XmlReader.Create(stream, Safe);
            document = XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            return new CapVerdict(null, null, false, [new Finding(ErrorCodes.MalformedBody, "", $"Not well-formed XML at line {e.LineNumber}, position {e.LinePosition}: {e.Message}")]);
        }
        var root = document.Root!;
        if (root.Name != Cap + "alert")
        {
            return new CapVerdict(document, null, false, [new Finding(ErrorCodes.InvalidValue, "", $"The document is {{{root.Name.NamespaceName}}}{root.Name.LocalName}, not a CAP 1.2 alert ({{{Cap.NamespaceName}}}alert). CAP-001")]);
        }

        // CAP-003: national values become OASIS values before anything is judged.
        var mapped = NationalCapProfile.MapToOasis(document);
        var findings = new List<Finding>();
        var projection = new JsonObject();
        Walk(root, Alert, "", projection, findings);
        using (var json = JsonDocument.Parse(projection.ToJsonString()))
        {
            findings.AddRange(SchemaFindings.Evaluate(spec.Schema(SchemaName), json.RootElement));
        }
        return new CapVerdict(document, projection, mapped, Distinct(findings));
    }

    /// <summary>The JSON projection of a CAP document (cap/README.md §6, CAP-007): element names kept, repeating elements as arrays, value pairs as objects, numbers as numbers.</summary>
    public static JsonObject Project(XDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var projection = new JsonObject();
        Walk(document.Root!, Alert, "", projection, []);
        return projection;
    }

    private static void Walk(XElement element, Particle[] model, string pointer, JsonObject into, List<Finding> findings)
    {
        foreach (var attribute in element.Attributes())
        {
            if (!attribute.IsNamespaceDeclaration && attribute.Name.Namespace != Instance)
            {
                findings.Add(new Finding(ErrorCodes.UnknownField, $"{pointer}/@{attribute.Name.LocalName}", $"CAP elements have no attributes; '{attribute.Name.LocalName}' is not allowed."));
            }
        }
        var position = -1;
        var signed = false;
        foreach (var node in element.Nodes())
        {
            if (node is XText text)
            {
                if (!string.IsNullOrWhiteSpace(text.Value))
                {
                    findings.Add(new Finding(ErrorCodes.WrongType, pointer, $"'{element.Name.LocalName}' holds elements, not text."));
                }
                continue;
            }
            if (node is not XElement child)
            {
                continue;
            }
            var name = child.Name.LocalName;
            if (model == Alert && child.Name.Namespace == Signature)
            {
                signed = true;
                continue;
            }
            if (child.Name.Namespace != Cap)
            {
                findings.Add(new Finding(ErrorCodes.UnknownField, $"{pointer}/{JsonPointers.Escape(name)}", $"'{{{child.Name.NamespaceName}}}{name}' is not a CAP 1.2 element."));
                continue;
            }
            var index = Array.FindIndex(model, Math.Max(position, 0), p => p.Name == name);
            if (index < 0)
            {
                var earlier = Array.FindIndex(model, p => p.Name == name);
                if (earlier < 0)
                {
                    findings.Add(new Finding(ErrorCodes.UnknownField, $"{pointer}/{JsonPointers.Escape(name)}", $"CAP has no element '{name}' in '{element.Name.LocalName}'."));
                    continue;
                }
                findings.Add(new Finding(ErrorCodes.InvalidValue, $"{pointer}/{name}", $"'{name}' must come before '{model[position].Name}' (CAP fixes the order of elements)."));
                index = earlier;
            }
            else if (index == position && !model[index].Repeats)
            {
                findings.Add(new Finding(ErrorCodes.InvalidValue, $"{pointer}/{name}", $"'{name}' may appear only once."));
            }
            else if (signed)
            {
                findings.Add(new Finding(ErrorCodes.InvalidValue, $"{pointer}/{name}", $"'{name}' must come before the XML signature."));
            }
            position = Math.Max(position, index);
            Project(child, model[index], pointer, into, findings);
        }
    }

    private static void Project(XElement element, Particle particle, string pointer, JsonObject into, List<Finding> findings)
    {
        var array = particle.Repeats ? (into[particle.Name] ??= new JsonArray()).AsArray() : null;
        var at = array is null ? $"{pointer}/{particle.Name}" : $"{pointer}/{particle.Name}/{array.Count}";
        JsonNode value;
        if (particle.Kind == Kind.Complex)
        {
            var child = new JsonObject();
            Walk(element, particle.Children!, at, child, findings);
            value = child;
        }
        else
        {
            if (element.HasElements)
            {
                findings.Add(new Finding(ErrorCodes.WrongType, at, $"'{particle.Name}' holds text, not elements."));
            }
            value = Simple(element.Value, particle, at, findings);
        }
        if (array is not null)
        {
            array.Add(value);
        }
        else
        {
            into[particle.Name] = value;
        }
    }

    /// <summary>A simple value as the projection carries it; the XSD's types collapse whitespace, xs:string keeps it.</summary>
    private static JsonValue Simple(string text, Particle particle, string pointer, List<Finding> findings)
    {
        var trimmed = text.Trim();
        switch (particle.Kind)
        {
            case Kind.Integer when long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer):
                return JsonValue.Create(integer);
            case Kind.Decimal when decimal.TryParse(trimmed, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number):
                return JsonValue.Create(number);
            case Kind.Integer or Kind.Decimal:
                findings.Add(new Finding(ErrorCodes.WrongType, pointer, $"'{particle.Name}' must be {(particle.Kind == Kind.Integer ? "an integer" : "a decimal number")}."));
                return JsonValue.Create(trimmed);
            case Kind.DateTime:
                // CAP-002: the pattern (explicit offset, whole seconds) is the JSON schema's; a real date is the XSD's.
                if (DateTimePattern().IsMatch(trimmed) && !DateTimeOffset.TryParseExact(trimmed, "yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                {
                    findings.Add(new Finding(ErrorCodes.InvalidValue, pointer, $"'{trimmed}' is not a real date and time."));
                }
                return JsonValue.Create(trimmed);
            case Kind.Language:
                if (!LanguagePattern().IsMatch(trimmed))
                {
                    findings.Add(new Finding(ErrorCodes.InvalidValue, pointer, $"'{trimmed}' is not a language tag such as zh-CN."));
                }
                return JsonValue.Create(trimmed);
            default:
                return JsonValue.Create(text);
        }
    }

    /// <summary>
    /// What the hub takes as an agency's warning, beyond valid CAP (cap/README.md §1.4, §4; CAP-008): Alert, Update or
    /// Cancel; Actual or Test; Public; at least one info, each about a natural hazard the hub has a domain for.
    /// </summary>
    public static IReadOnlyList<Finding> Admit(JsonObject alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var findings = new List<Finding>();
        Require(alert, "msgType", ["Alert", "Update", "Cancel"], "The national profile reserves Ack and Error; send Alert, Update or Cancel.", findings);
        Require(alert, "status", ["Actual", "Test"], "The national profile reserves Exercise, System and Draft; send Actual or Test.", findings);
        Require(alert, "scope", ["Public"], "Warnings are public: scope is Public.", findings);
        if (alert["info"] is not JsonArray { Count: > 0 } infos)
        {
            findings.Add(new Finding(ErrorCodes.MissingField, "/info", "A warning needs an info saying what it warns of."));
            return findings;
        }
        for (var i = 0; i < infos.Count; i++)
        {
            if (infos[i] is JsonObject info && info["category"] is JsonArray && NationalCapProfile.Domain(info) is null)
            {
                findings.Add(new Finding(ErrorCodes.InvalidValue, $"/info/{i}/eventCode",
                    "Not a natural-hazard warning the hub takes: name the national event type (eventCode eventType 11A flood, 11B weather, 11C earthquake, 11D geology, 11E marine, 11G forest fire), or use category Met, Geo or Fire."));
            }
        }
        return findings;
    }

    private static void Require(JsonObject alert, string name, string[] allowed, string detail, List<Finding> findings)
    {
        if ((string?)alert[name] is { } value && !allowed.Contains(value))
        {
            findings.Add(new Finding(ErrorCodes.InvalidValue, "/" + name, detail));
        }
    }

    // One finding per place and code: the structure and the schema can both see the same fault.
    private static List<Finding> Distinct(List<Finding> findings) =>
        findings.DistinctBy(f => (f.Code, f.Pointer)).ToList();

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")]
    private static partial Regex DateTimePattern();

    /// <summary>xs:language.</summary>
    [GeneratedRegex("^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")]
    private static partial Regex LanguagePattern();
}
