using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Tests.Spec;

namespace IntegrationHub.Conformance.Tests.Profiles;

/// <summary>What the profile schema cannot say, the loader checks: a spec with such a profile does not load.</summary>
public sealed class ProfileLintTests
{
    private const string Jt808 = "traffic.vehicle-jt808";

    [Fact]
    public void Load_FlagOutsideTheBitfieldWidth_IsRefused()
    {
        var problems = Problems(Jt808, p => p["metrics"]!["alarm_flags"]!["bits"] = 16);

        Assert.Contains(problems, p => p.Contains("flag bit 18 does not fit in 16 bits", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_BitMatchOnAMetricThatIsNotABitfield_IsRefused()
    {
        var problems = Problems(Jt808, p => p["rules"]!.AsArray().Single(r => (string?)r!["id"] == "jt808-alarm-flags")!["metric"] = "ignition");

        Assert.Contains(problems, p => p.Contains("matches bit 29, which is not a named flag of a bitfield metric", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_BitWithoutAName_IsRefused()
    {
        var problems = Problems(Jt808, p => p["metrics"]!["alarm_flags"]!["flags"]!.AsObject().Remove("29"));

        Assert.Contains(problems, p => p.Contains("matches bit 29", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_EmptyDailyWindow_IsRefused()
    {
        var problems = Problems(Jt808, p => p["rules"]!.AsArray().Single(r => (string?)r!["id"] == "night-stop")!["activeDuring"] = new JsonObject { ["from"] = "02:00", ["to"] = "02:00" });

        Assert.Contains(problems, p => p.Contains("rule 'night-stop': the daily window is empty", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_RateRuleWithAZeroUnitOfTime_IsRefused()
    {
        var problems = Problems("bridge.shm", p => p["rules"]!.AsArray().Single(r => (string?)r!["id"] == "crack-opening")!["per"] = "PT0S");

        Assert.Contains(problems, p => p.Contains("rule 'crack-opening': window and per must be longer than zero", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_StateValuesOnAQuantity_AreRefused()
    {
        var problems = Problems("bridge.shm", p => p["metrics"]!["strain"]!["values"] = new JsonArray("low", "high"));

        Assert.Contains(problems, p => p.Contains("metric 'strain': only states have values", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/metrics/ch4")]
    [InlineData("/states/tamper")]
    [InlineData("/rules/0")]
    public void Load_AnItemWithoutAChineseTitle_IsRefused(string item)
    {
        var problems = Problems("gas.underground-methane", p => Node(p, item).AsObject().Remove("titleZh"));

        Assert.Contains(problems, p => p.Contains($"message.missing-field at '{item}/titleZh'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Methane concentration")]
    [InlineData("CH4浓度超限")]
    public void Load_AChineseTitleWithLatinLetters_IsRefused(string titleZh)
    {
        // The Chinese title is what the hub's CAP headline is made of: English there would mix the languages.
        var problems = Problems("gas.underground-methane", p => p["rules"]![0]!["titleZh"] = titleZh);

        Assert.Contains(problems, p => p.Contains("message.invalid-value at '/rules/0/titleZh'", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_AStateValueWithoutTitles_IsRefused()
    {
        var problems = Problems("fire.alarm-system", p => p["metrics"]!["fas_state"]!["valueTitles"]!.AsObject().Remove("fire"));

        Assert.Contains(problems, p => p.Contains("metric 'fas_state': valueTitles must title each of its values", StringComparison.Ordinal));
    }

    [Fact]
    public void Jt808Profile_ReadsItsBitfieldAndWindows()
    {
        var profile = SpecCatalog.LoadDirectory(Paths.Specs).Profiles[Jt808].Definition;

        var flags = profile.Metrics["alarm_flags"];
        var alarms = profile.Rules.OfType<StateRule>().Single(r => r.Id == "jt808-alarm-flags");
        var night = profile.Rules.Single(r => r.Id == "night-overspeed").ActiveDuring!;

        Assert.Equal((MetricKind.Bitfield, 32, "collision-rollover"), (flags.Kind, flags.Bits!.Value, flags.Flags["29"].Name));
        Assert.Equal(AlertLevel.Red, alarms.Match.Single(m => m.Bit == 29).Level);
        Assert.True(night.Contains(new DateTimeOffset(2026, 11, 28, 23, 30, 0, TimeSpan.FromHours(8))));
        Assert.True(night.Contains(new DateTimeOffset(2026, 11, 28, 21, 30, 0, TimeSpan.Zero)));
        Assert.False(night.Contains(new DateTimeOffset(2026, 11, 28, 6, 0, 0, TimeSpan.FromHours(8))));
    }

    private static JsonNode Node(JsonNode root, string pointer) =>
        pointer.Split('/', StringSplitOptions.RemoveEmptyEntries).Aggregate(root, (node, part) => int.TryParse(part, out var i) ? node[i]! : node[part]!);

    private static IReadOnlyList<string> Problems(string profileId, Action<JsonNode> edit) => SpecMutations.Problems($"profiles/{profileId}.json", edit);
}
