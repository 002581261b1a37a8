using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using IntegrationHub.Conformance.Cap;
using IntegrationHub.Conformance.Tests.Spec;

namespace IntegrationHub.Conformance.Tests.Cap;

/// <summary>
/// The CAP XML examples in specs/examples/cap get the manifest's verdict from the OASIS CAP 1.2 XML Schema (read from
/// $IHUB_ORACLES/cap/cap12.xsd), after the national-profile mapping where the manifest says the example uses it.
/// </summary>
public sealed class CapXmlTests
{
    public static TheoryData<string> XmlExamples() =>
        new(SpecExamplesTests.Load().Examples.Where(e => e.Schema == "cap12.xsd").Select(e => e.File));

    [Theory]
    [MemberData(nameof(XmlExamples))]
    public void Example_GetsTheManifestVerdictFromTheOasisSchema(string file)
    {
        var schemas = Schemas();
        var example = SpecExamplesTests.Load().Examples.Single(e => e.File == file);
        var document = XDocument.Load(Path.Combine(Paths.Specs, "examples", file));
        if (example.NationalProfile)
        {
            NationalCapProfile.MapToOasis(document);
        }

        var errors = Validate(document, schemas);

        Assert.True(example.Valid == (errors.Count == 0), $"{file}: expected {(example.Valid ? "valid" : "invalid")}; the XSD says: {string.Join("; ", errors)}");
    }

    public static TheoryData<string> ValidNationalExamples() =>
        new(SpecExamplesTests.Load().Examples.Where(e => e.Schema == "cap12.xsd" && e.NationalProfile && e.Valid).Select(e => e.File));

    [Theory]
    [MemberData(nameof(ValidNationalExamples))]
    public void NationalExample_IsInvalidUntilMapped(string file)
    {
        var schemas = Schemas();

        Assert.NotEmpty(Validate(XDocument.Load(Path.Combine(Paths.Specs, "examples", file)), schemas));
    }

    [Fact]
    public void MapToOasis_KeepsTheColourAsWarningLevel()
    {
        var document = XDocument.Load(Path.Combine(Paths.Specs, "examples", "cap", "national", "typhoon-yellow.xml"));

        Assert.True(NationalCapProfile.MapToOasis(document));

        var info = document.Root!.Element(NationalCapProfile.Cap + "info")!;
        Assert.Equal("Moderate", info.Element(NationalCapProfile.Cap + "severity")!.Value);
        Assert.Equal("Likely", info.Element(NationalCapProfile.Cap + "certainty")!.Value);
        Assert.Equal(
            [("eventType", "11B01"), ("warningLevel", "yellow")],
            info.Elements(NationalCapProfile.Cap + "eventCode").Select(e => (e.Element(NationalCapProfile.Cap + "valueName")!.Value, e.Element(NationalCapProfile.Cap + "value")!.Value)));
    }

    private static XmlSchemaSet Schemas()
    {
        var path = Paths.Oracle("cap/cap12.xsd");
        var set = new XmlSchemaSet();
        using var reader = XmlReader.Create(path);
        set.Add(NationalCapProfile.Cap.NamespaceName, reader);
        set.Compile();
        return set;
    }

    private static List<string> Validate(XDocument document, XmlSchemaSet schemas)
    {
        var errors = new List<string>();
        document.Validate(schemas, (_, e) => errors.Add($"{e.Severity}: {e.Message}"));
        return errors;
    }
}
