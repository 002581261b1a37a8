using System.Text;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using IntegrationHub.Conformance.Cap;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Tests.Spec;

namespace IntegrationHub.Conformance.Tests.Cap;

/// <summary>
/// The hub's own check of CAP documents (<see cref="CapXml"/>): the manifest's verdict on every CAP example, and, held
/// to the OASIS XSD ($IHUB_ORACLES/cap/cap12.xsd), a refusal of every document the XSD refuses among these mutations.
/// </summary>
public sealed class CapReadTests
{
    private static readonly SpecCatalog Spec = SpecCatalog.LoadDirectory(Paths.Specs);
    private static readonly XNamespace Cap = NationalCapProfile.Cap;

    private static CapVerdict Read(string xml) => CapXml.Read(Encoding.UTF8.GetBytes(xml), Spec);

    private static string Example(string file) => File.ReadAllText(Path.Combine(Paths.Specs, "examples", file));

    public static TheoryData<string> XmlExamples() =>
        new(SpecExamplesTests.Load().Examples.Where(e => e.Schema == "cap12.xsd").Select(e => e.File));

    [Theory]
    [MemberData(nameof(XmlExamples))]
    public void Read_Example_GetsTheManifestVerdict(string file)
    {
        var example = SpecExamplesTests.Load().Examples.Single(e => e.File == file);

        var verdict = Read(Example(file));

        Assert.True(example.Valid == verdict.Accepted, $"{file}: expected {(example.Valid ? "valid" : "invalid")}; found {string.Join("; ", verdict.Findings)}");
        Assert.Equal(example.NationalProfile, verdict.NationalProfile);
    }

    [Fact]
    public void Read_NationalDocument_IsMappedAndProjected()
    {
        var verdict = Read(Example("cap/national/typhoon-yellow.xml"));

        Assert.True(verdict.Accepted);
        var info = verdict.Projection!["info"]![0]!.AsObject();
        Assert.Equal(("Moderate", "Likely"), ((string?)info["severity"], (string?)info["certainty"]));
        Assert.Equal("yellow", NationalCapProfile.Level(info));
        Assert.Equal("weather", NationalCapProfile.Domain(info));
        Assert.Equal("370202,370203,370211,370212", (string?)info["area"]![0]!["geocode"]![0]!["value"]);
        Assert.Empty(CapXml.Admit(verdict.Projection));
    }

    [Fact]
    public void Read_NotWellFormed_OrWithADocumentTypeDeclaration_IsMalformed()
    {
        Assert.Equal(ErrorCodes.MalformedBody, Assert.Single(Read("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>x</alert>").Findings).Code);
        // No DTD, so no entity can reach outside the document.
        var entity = "<?xml version=\"1.0\"?><!DOCTYPE alert [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" + Example("cap/national/typhoon-yellow.xml")[(Example("cap/national/typhoon-yellow.xml").IndexOf("<alert", StringComparison.Ordinal))..];
        Assert.Equal(ErrorCodes.MalformedBody, Assert.Single(Read(entity).Findings).Code);
    }

    [Fact]
    public void Read_AnotherRootElement_IsNotCap()
    {
        var finding = Assert.Single(Read("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.1\"/>").Findings);

        Assert.Equal((ErrorCodes.InvalidValue, ""), (finding.Code, finding.Pointer));
    }

    /// <summary>Valid CAP the hub does not take as a warning: the hub's own alert (category Infra), an Ack, an exercise, a restricted document.</summary>
    [Fact]
    public void Admit_TakesOnlyPublicNaturalHazardWarnings()
    {
        var own = Read(Example("cap/valid/hub-methane-red.xml"));
        Assert.True(own.Accepted);
        Assert.Equal("/info/0/eventCode", Assert.Single(CapXml.Admit(own.Projection!)).Pointer);

        var typhoon = Example("cap/national/typhoon-yellow.xml");
        var edited = typhoon.Replace("<msgType>Alert</msgType>", "<msgType>Ack</msgType>", StringComparison.Ordinal)
            .Replace("<status>Actual</status>", "<status>Exercise</status>", StringComparison.Ordinal)
            .Replace("<scope>Public</scope>", "<scope>Restricted</scope><restriction>duty officers</restriction>", StringComparison.Ordinal);
        var verdict = Read(edited);
        Assert.True(verdict.Accepted, string.Join("; ", verdict.Findings));
        Assert.Equal(["/msgType", "/scope", "/status"], CapXml.Admit(verdict.Projection!).Select(f => f.Pointer).Order());
    }

    /// <summary>Edits of valid documents; each breaks the OASIS schema.</summary>
    public static TheoryData<string> Breaks() =>
    [
        "order: sender before identifier",
        "repeat: status twice",
        "unknown: an element CAP does not define",
        "namespace: an element from another namespace",
        "attribute: on info",
        "text: between elements",
        "enumeration: severity Purple",
        "time: Z instead of an offset",
        "time: the 13th month",
        "integer: resource size",
        "decimal: area altitude",
        "pair: value before valueName",
        "required: info without event",
        "language: underscore",
        "order: category after event",
        "required: no msgType",
        "text: elements inside headline",
    ];

    [Theory]
    [MemberData(nameof(Breaks))]
    public void Read_RefusesWhatTheOasisSchemaRefuses(string edit)
    {
        var document = XDocument.Parse(Example("cap/national/typhoon-yellow.xml"));
        NationalCapProfile.MapToOasis(document);
        var alert = document.Root!;
        var info = alert.Element(Cap + "info")!;
        switch (edit)
        {
            case "order: sender before identifier": alert.Element(Cap + "identifier")!.AddBeforeSelf(alert.Element(Cap + "sender")!); alert.Elements(Cap + "sender").Last().Remove(); break;
            case "repeat: status twice": alert.Element(Cap + "status")!.AddAfterSelf(new XElement(Cap + "status", "Actual")); break;
            case "unknown: an element CAP does not define": alert.Element(Cap + "scope")!.AddAfterSelf(new XElement(Cap + "priority", "high")); break;
            case "namespace: an element from another namespace": alert.Element(Cap + "scope")!.AddAfterSelf(new XElement(XNamespace.Get("urn:example") + "note", "x")); break;
            case "attribute: on info": info.SetAttributeValue("lang", "zh"); break;
            case "text: between elements": alert.Element(Cap + "scope")!.AddAfterSelf(new XText("stray")); break;
            case "enumeration: severity Purple": info.Element(Cap + "severity")!.Value = "Purple"; break;
            case "time: Z instead of an offset": alert.Element(Cap + "sent")!.Value = "2026-11-28T00:00:00Z"; break;
            case "time: the 13th month": alert.Element(Cap + "sent")!.Value = "2026-13-28T08:00:00+08:00"; break;
            case "integer: resource size": info.Element(Cap + "area")!.AddBeforeSelf(Resource("big")); break;
            case "decimal: area altitude": info.Element(Cap + "area")!.Add(new XElement(Cap + "altitude", "high")); break;
            case "pair: value before valueName":
                var code = info.Element(Cap + "eventCode")!;
                code.Element(Cap + "valueName")!.AddBeforeSelf(code.Element(Cap + "value")!);
                code.Elements(Cap + "value").Last().Remove();
                break;
            case "required: info without event": info.Element(Cap + "event")!.Remove(); break;
            case "language: underscore": info.Element(Cap + "language")!.Value = "zh_CN"; break;
            case "order: category after event": info.Element(Cap + "event")!.AddAfterSelf(new XElement(Cap + "category", "Geo")); break;
            case "required: no msgType": alert.Element(Cap + "msgType")!.Remove(); break;
            case "text: elements inside headline": info.Element(Cap + "headline")!.Add(new XElement(Cap + "b", "bold")); break;
            default: throw new ArgumentException(edit, nameof(edit));
        }

        var verdict = CapXml.Read(Encoding.UTF8.GetBytes(document.ToString()), Spec);

        Assert.False(verdict.Accepted, $"{edit}: accepted");
        if (Schemas() is { } schemas)
        {
            Assert.NotEmpty(XsdErrors(document, schemas));
        }

        static XElement Resource(string size) => new(Cap + "resource", new XElement(Cap + "resourceDesc", "map"), new XElement(Cap + "mimeType", "image/png"), new XElement(Cap + "size", size));
    }

    /// <summary>What the OASIS schema allows and the hub takes too: comments, a signature at the end, every optional element in its place.</summary>
    [Fact]
    public void Read_AcceptsWhatTheOasisSchemaAllows()
    {
        var document = XDocument.Parse(Example("cap/national/typhoon-yellow.xml"));
        NationalCapProfile.MapToOasis(document);
        var alert = document.Root!;
        var info = alert.Element(Cap + "info")!;
        alert.Element(Cap + "scope")!.AddBeforeSelf(new XComment("issued by the duty forecaster"));
        info.Element(Cap + "description")!.AddAfterSelf(
            new XElement(Cap + "instruction", "Secure loose objects."),
            new XElement(Cap + "web", "https://qd.weather.example/warnings/1"),
            new XElement(Cap + "contact", "0532-12121"),
            new XElement(Cap + "parameter", new XElement(Cap + "valueName", "windForce"), new XElement(Cap + "value", "8")),
            new XElement(Cap + "resource", new XElement(Cap + "resourceDesc", "track"), new XElement(Cap + "mimeType", "image/png"), new XElement(Cap + "size", "2048"), new XElement(Cap + "uri", "https://qd.weather.example/track.png")));
        info.Element(Cap + "area")!.Add(new XElement(Cap + "altitude", "0"), new XElement(Cap + "ceiling", "1500.5"));
        info.Element(Cap + "area")!.Element(Cap + "areaDesc")!.AddAfterSelf(new XElement(Cap + "circle", "36.07,120.38 50"));
        alert.Add(new XElement(XNamespace.Get("http://www.w3.org/2000/09/xmldsig#") + "Signature"));

        var verdict = CapXml.Read(Encoding.UTF8.GetBytes(document.ToString()), Spec);

        Assert.True(verdict.Accepted, string.Join("; ", verdict.Findings));
        Assert.Equal(2048, (long)verdict.Projection!["info"]![0]!["resource"]![0]!["size"]!);
        Assert.Equal(1500.5m, (decimal)verdict.Projection["info"]![0]!["area"]![0]!["ceiling"]!);
        if (Schemas() is { } schemas)
        {
            Assert.Empty(XsdErrors(document, schemas));
        }
    }

    private static XmlSchemaSet? Schemas()
    {
        if (Environment.GetEnvironmentVariable(Paths.OraclesVariable) is null or "")
        {
            return null;
        }
        var set = new XmlSchemaSet();
        using var reader = XmlReader.Create(Paths.Oracle("cap/cap12.xsd"));
        set.Add(Cap.NamespaceName, reader);
        set.Compile();
        return set;
    }

    private static List<string> XsdErrors(XDocument document, XmlSchemaSet schemas)
    {
        var errors = new List<string>();
        // Round-trip through text, so the XSD judges what the hub would receive.
        XDocument.Parse(document.ToString()).Validate(schemas, (_, e) => errors.Add(e.Message));
        return errors;
    }
}
