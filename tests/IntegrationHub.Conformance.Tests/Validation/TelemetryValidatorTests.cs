using System.Text;
using System.Text.Json;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Conformance.Tests.Validation;

public sealed class TelemetryValidatorTests
{
    private static readonly SpecCatalog Spec = SpecCatalog.LoadEmbedded();
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 2, 0, 0, TimeSpan.Zero);

    private sealed class Devices(params DeviceRegistration[] devices) : IDeviceDirectory
    {
        public DeviceRegistration? Find(string deviceId) => devices.FirstOrDefault(d => d.DeviceId == deviceId);
    }

    private static DeviceRegistration Methane(string adapter = "adapter-a", IReadOnlyDictionary<string, double>? parameters = null) =>
        new() { Key = 7, DeviceId = "ch4-1", AdapterId = adapter, ProfileId = "gas.underground-methane", District = "370202", Parameters = parameters };

    private static MessageVerdict Validate(string json, ValidationContext? context = null)
    {
        using var document = JsonDocument.Parse(json);
        return Spec.Validator.Validate(document.RootElement.Clone(), context ?? new ValidationContext { Now = Now });
    }

    private static string Message(string observations, string time = "2026-11-28T10:00:00+08:00", string device = "ch4-1", string profile = "gas.underground-methane") =>
        $$"""{"messageId":"m1","deviceId":"{{device}}","profile":"{{profile}}","time":"{{time}}","observations":{{observations}}}""";

    [Fact]
    public void Validate_AlternativeUnit_ConvertsToCanonicalUnit()
    {
        var verdict = Validate(Message("""[{"metric":"ch4","value":0.5,"unit":"%{vol}"},{"metric":"temperature","value":283.15,"unit":"K"}]"""));

        Assert.True(verdict.IsValid);
        Assert.Equal(10.0, verdict.Message!.Observations[0].Number);
        Assert.Equal("%{LEL}", verdict.Message.Observations[0].Unit);
        Assert.Equal(10.0, verdict.Message.Observations[1].Number);
    }

    [Fact]
    public void Validate_DeviceSiteParameter_ChangesTheConversion()
    {
        var context = new ValidationContext
        {
            Now = Now,
            AdapterId = "adapter-a",
            Devices = new Devices(Methane(parameters: new Dictionary<string, double> { ["lelVolPercent"] = 4.4 })),
        };

        var verdict = Validate(Message("""[{"metric":"ch4","value":2200,"unit":"[ppm]"}]"""), context);

        // 2200 ppm = 0.22 %vol = 5 %LEL on a 4.4 %vol basis.
        Assert.Equal(5.0, verdict.Message!.Observations[0].Number);
    }

    [Fact]
    public void Validate_TimeWithOffset_IsStoredInUtc()
    {
        var verdict = Validate(Message("""[{"metric":"ch4","value":1,"unit":"%{LEL}"}]""", time: "2026-11-28T09:30:00+08:00"));

        Assert.Equal(new DateTimeOffset(2026, 11, 28, 1, 30, 0, TimeSpan.Zero), verdict.Message!.Time);
        Assert.Equal(TimeSpan.Zero, verdict.Message.Time.Offset);
    }

    [Fact]
    public void Validate_TimeWithinSkew_IsAccepted_BeyondSkew_IsRejected()
    {
        var context = new ValidationContext { Now = Now, MaxFutureSkew = TimeSpan.FromMinutes(5) };

        Assert.True(Validate(Message("""[{"metric":"ch4","value":1,"unit":"%{LEL}"}]""", time: "2026-11-28T02:04:59Z"), context).IsValid);
        var late = Validate(Message("""[{"metric":"ch4","value":1,"unit":"%{LEL}"}]""", time: "2026-11-28T02:05:01Z"), context);
        Assert.Equal([new Finding(ErrorCodes.TimeInFuture, "/time", late.Findings[0].Detail)], late.Findings);
    }

    public static TheoryData<string, string, string> Texts => new()
    {
        // The escaped pair of U+1F600 is text; either half alone is not.
        { @"\ud83d\ude00", "", "" },
        { @"\ud83d", "message.invalid-text", "/status/faults/0" },
        { @"\ude00x", "message.invalid-text", "/status/faults/0" },
        { @"\ud83d\u0041", "message.invalid-text", "/status/faults/0" },
        { @"\\ud800", "", "" },
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void Validate_StringEscapes_AreTextOnlyWhenEverySurrogateIsPaired(string escaped, string code, string pointer)
    {
        var verdict = Validate(Message("""[{"metric":"ch4","value":1,"unit":"%{LEL}"}]""").TrimEnd('}') + $$$""","status":{"faults":["{{{escaped}}}"]}}""");

        Assert.Equal(code.Length == 0, verdict.IsValid);
        if (code.Length > 0)
        {
            Assert.Equal([(code, pointer)], verdict.Findings.Select(f => (f.Code, f.Pointer)));
            Assert.Equal(("m1", "ch4-1"), (verdict.MessageId, verdict.DeviceId));
        }
    }

    [Fact]
    public void Validate_NumberBeyondADouble_IsOutOfRange()
    {
        var verdict = Validate(Message("""[{"metric":"ch4","value":-1e400,"unit":"%{LEL}"}]"""));

        Assert.Equal([(ErrorCodes.ValueOutOfRange, "/observations/0/value")], verdict.Findings.Select(f => (f.Code, f.Pointer)));
    }

    [Fact]
    public void Validate_ImpossibleCalendarDate_IsRejected()
    {
        var verdict = Validate(Message("""[{"metric":"ch4","value":1,"unit":"%{LEL}"}]""", time: "2026-02-30T10:00:00+08:00"));

        Assert.Equal((ErrorCodes.InvalidValue, "/time"), (verdict.Findings[0].Code, verdict.Findings[0].Pointer));
    }

    [Fact]
    public void Validate_UnregisteredDevice_IsRejected()
    {
        var context = new ValidationContext { Now = Now, AdapterId = "adapter-a", Devices = new Devices() };

        var verdict = Validate(Message("""[{"metric":"ch4","value":1,"unit":"%{LEL}"}]"""), context);

        Assert.Equal((ErrorCodes.DeviceUnregistered, "/deviceId"), (verdict.Findings.Single().Code, verdict.Findings.Single().Pointer));
    }

    [Fact]
    public void Validate_DeviceOfAnotherAdapter_IsRejected()
    {
        var context = new ValidationContext { Now = Now, AdapterId = "adapter-b", Devices = new Devices(Methane()) };

        var verdict = Validate(Message("""[{"metric":"ch4","value":1,"unit":"%{LEL}"}]"""), context);

        Assert.Equal(ErrorCodes.DeviceWrongAdapter, verdict.Findings.Single().Code);
    }

    [Fact]
    public void Validate_ProfileOtherThanRegistered_IsRejected()
    {
        var context = new ValidationContext { Now = Now, AdapterId = "adapter-a", Devices = new Devices(Methane()) };

        var verdict = Validate(Message("""[{"metric":"pressure","value":0.3,"unit":"MPa"}]""", profile: "water.supply-pressure-flow"), context);

        Assert.Equal((ErrorCodes.ProfileMismatch, "/profile"), (verdict.Findings.Single().Code, verdict.Findings.Single().Pointer));
    }

    [Fact]
    public void Validate_ProfileTheAdapterMayNotSend_IsRejected()
    {
        var context = new ValidationContext { Now = Now, AllowedProfiles = new HashSet<string> { "water.supply-pressure-flow" } };

        var verdict = Validate(Message("""[{"metric":"ch4","value":1,"unit":"%{LEL}"}]"""), context);

        Assert.Equal(ErrorCodes.ProfileNotAllowed, verdict.Findings.Single().Code);
    }

    [Fact]
    public void Validate_SeveralProblems_AreAllReported()
    {
        var verdict = Validate(Message("""[{"metric":"ch4","value":400,"unit":"%{LEL}"},{"metric":"cover_tilt","value":3,"unit":"rad"},{"metric":"co","value":1,"unit":"[ppm]"}]""", time: "2030-01-01T00:00:00Z"));

        Assert.Equal(
            [(ErrorCodes.TimeInFuture, "/time"), (ErrorCodes.ValueOutOfRange, "/observations/0/value"), (ErrorCodes.UnitUnknown, "/observations/1/unit"), (ErrorCodes.MetricUnknown, "/observations/2/metric")],
            verdict.Findings.Select(f => (f.Code, f.Pointer)));
    }

    [Fact]
    public void Validate_Rejected_StillNamesTheMessageAndDevice()
    {
        var verdict = Validate("""{"messageId":"m9","deviceId":"d9","observations":[]}""");

        Assert.False(verdict.IsValid);
        Assert.Equal(("m9", "d9"), (verdict.MessageId, verdict.DeviceId));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("null")]
    public void Validate_NotAnObject_IsRejectedAsWrongType(string json)
    {
        var verdict = Validate(json);

        Assert.Equal((ErrorCodes.WrongType, ""), (verdict.Findings.Single().Code, verdict.Findings.Single().Pointer));
    }

    [Fact]
    public void CheckSiteParameters_OutsideBounds_AndUnknown_AreReported()
    {
        var profile = Spec.Profiles["gas.underground-methane"];

        var findings = profile.CheckSiteParameters(new Dictionary<string, double> { ["lelVolPercent"] = 3.0, ["nonsense"] = 1, ["coverTiltDeg"] = 20 }, "/parameters");

        Assert.Equal([(ErrorCodes.InvalidValue, "/parameters/lelVolPercent"), (ErrorCodes.UnknownField, "/parameters/nonsense")], findings.Select(f => (f.Code, f.Pointer)));
    }
}

public sealed class ProfileLoaderTests
{
    private static SpecFile[] SpecWith(string profilePath, string profileJson)
    {
        var embedded = SpecCatalog.LoadEmbedded().Files.Where(f => !f.Path.StartsWith("profiles/", StringComparison.Ordinal));
        return [.. embedded, new SpecFile(profilePath, Encoding.UTF8.GetBytes(profileJson))];
    }

    private const string Valid = """
        {"id":"gas.test","version":"1.0.0","domain":"gas","title":"Test","titleZh":"测试","reporting":{"interval":"PT5M"},
         "parameters":{"lel":{"title":"LEL","default":5,"source":"s","evidence":"A"}},
         "metrics":{"ch4":{"title":"CH4","titleZh":"甲烷浓度","kind":"quantity","unit":"%{LEL}","range":{"min":0,"max":100}}},
         "rules":[{"id":"r","kind":"threshold","title":"t","titleZh":"甲烷浓度超限","metric":"ch4","direction":"above","levels":{
           "yellow":{"value":10,"source":"s","evidence":"A"},"red":{"value":50,"source":"s","evidence":"A"}}}]}
        """;

    [Fact]
    public void Load_ValidProfile_Compiles()
    {
        var spec = SpecCatalog.Load(SpecWith("profiles/gas.test.json", Valid));

        Assert.Equal(["gas.test"], spec.Profiles.Keys);
    }

    [Theory]
    [InlineData("profiles/gas.other.json", "", "", "named profiles/gas.test.json")]
    [InlineData("profiles/gas.test.json", "\"value\":50", "\"value\":5", "level Red must be above")]
    [InlineData("profiles/gas.test.json", "\"metric\":\"ch4\",\"direction\"", "\"metric\":\"co\",\"direction\"", "metric 'co' is not defined")]
    [InlineData("profiles/gas.test.json", "\"value\":10", "\"value\":{\"param\":\"lfl\"}", "uses parameter 'lfl'")]
    [InlineData("profiles/gas.test.json", "\"default\":5", "\"default\":5,\"maximum\":4", "outside its own bounds")]
    [InlineData("profiles/gas.test.json", "\"version\":\"1.0.0\"", "\"version\":\"1\"", "message.invalid-value at '/version'")]
    public void Load_BrokenProfile_FailsWithEveryProblemNamed(string path, string find, string replace, string expected)
    {
        var json = find.Length == 0 ? Valid : Valid.Replace(find, replace, StringComparison.Ordinal);

        var error = Assert.Throws<SpecException>(() => SpecCatalog.Load(SpecWith(path, json)));

        Assert.Contains(error.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Conversion_Formula_AppliesOffsetThenScale()
    {
        var metric = SpecCatalog.LoadEmbedded().Profiles["utility-tunnel.environment"].Metrics["h2s"];

        Assert.True(metric.TryToCanonical("[ppm]", 20, ParameterSet.Empty, out var mg));
        Assert.Equal(28.35274542429, mg, 9);
        Assert.False(metric.TryToCanonical("ppm", 20, ParameterSet.Empty, out _));
    }
}
