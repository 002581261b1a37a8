using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Portal.Docs;

namespace IntegrationHub.Gateway.Tests.Portal;

/// <summary>How the spec browser writes the profiles' numbers: parameter references, conversions, persistence, durations.</summary>
public sealed class SpecTextTests
{
    [Fact]
    public void Threshold_ParameterReference_ReadsAsFactorTimesParameter()
    {
        Assert.Equal("0.5 × lelVolPercent", SpecText.Threshold(ParamNumber.Of("lelVolPercent", 0.5), "%{vol}"));
        Assert.Equal("coverTiltDeg", SpecText.Threshold(ParamNumber.Of("coverTiltDeg"), "deg"));
        Assert.Equal("50 %{LEL}", SpecText.Threshold(ParamNumber.Literal(50), "%{LEL}"));
        Assert.Equal("0.3", SpecText.Threshold(ParamNumber.Literal(0.3), null));
    }

    [Fact]
    public void DefaultOf_ResolvesAReferenceWithTheProfilesDefault()
    {
        var profile = SpecCatalog.LoadEmbedded().Profiles["gas.underground-methane"].Definition;

        Assert.Equal("10 deg", SpecText.DefaultOf(ParamNumber.Of("coverTiltDeg"), profile));
        Assert.Equal("2.5", SpecText.DefaultOf(ParamNumber.Of("lelVolPercent", 0.5), profile));
        Assert.Null(SpecText.DefaultOf(ParamNumber.Literal(50), profile));
        Assert.Null(SpecText.DefaultOf(ParamNumber.Of("noSuchParameter"), profile));
    }

    [Fact]
    public void Conversion_WritesTheArithmeticFromTheSentValue()
    {
        Assert.Equal("x ÷ (0.01 × lelVolPercent)", SpecText.Conversion(new UnitConversion { Unit = "%{vol}", DivideBy = ParamNumber.Of("lelVolPercent", 0.01) }));
        Assert.Equal("x − 273.15", SpecText.Conversion(new UnitConversion { Unit = "K", Offset = -273.15 }));
        Assert.Equal("x × 0.001", SpecText.Conversion(new UnitConversion { Unit = "kPa", MultiplyBy = ParamNumber.Literal(0.001) }));
        Assert.Equal("(x + 32) × 5 ÷ 9", SpecText.Conversion(new UnitConversion { Unit = "x", Offset = 32, MultiplyBy = ParamNumber.Literal(5), DivideBy = ParamNumber.Literal(9) }));
        Assert.Equal("x ÷ lelVolPercent", SpecText.Conversion(new UnitConversion { Unit = "y", DivideBy = ParamNumber.Of("lelVolPercent") }));
    }

    [Fact]
    public void Persistence_IsNullForAtOnce_AndNamesSamplesAndDurations()
    {
        static string Samples(int n) => $"{n} samples";

        Assert.Null(SpecText.Persistence(null, Samples));
        Assert.Null(SpecText.Persistence(new Persistence { Samples = 1 }, Samples));
        Assert.Equal("2 samples", SpecText.Persistence(new Persistence { Samples = 2 }, Samples));
        Assert.Equal("10 min", SpecText.Persistence(new Persistence { Duration = TimeSpan.FromMinutes(10) }, Samples));
        Assert.Equal("3 samples · 1 h", SpecText.Persistence(new Persistence { Samples = 3, Duration = TimeSpan.FromHours(1) }, Samples));
    }

    [Theory]
    [InlineData("PT15M", "15 min")]
    [InlineData("PT24H", "1 d")]
    [InlineData("PT1H30M", "1 h 30 min")]
    [InlineData("PT30S", "30 s")]
    [InlineData("P1DT12H", "1 d 12 h")]
    public void Duration_ReadsInWholeUnits(string iso, string expected) =>
        Assert.Equal(expected, SpecText.Duration(IsoDuration.Parse(iso)));

    [Fact]
    public void Grades_FollowTheNationalLevels()
    {
        Assert.Equal(["IV", "III", "II", "I"], new[] { AlertLevel.Blue, AlertLevel.Yellow, AlertLevel.Orange, AlertLevel.Red }.Select(SpecText.Grade));
    }

    [Theory]
    [InlineData("schemas/telemetry-batch.schema.json", "/docs/schemas/telemetry-batch")]
    [InlineData("profiles/", "/docs/profiles")]
    [InlineData("asyncapi/asyncapi.yaml", "/docs/mqtt")]
    [InlineData("rules.md", "/docs/rules")]
    [InlineData("cap/README.md", "/docs/cap")]
    [InlineData("COMPATIBILITY.md", "/specs/v1/COMPATIBILITY.md")]
    public void RequirementSee_LeadsToItsDocsPage(string see, string href) =>
        Assert.Equal(href, SpecDocs.SeeHref(see));
}
