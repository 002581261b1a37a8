using System.Text.RegularExpressions;
using IntegrationHub.Conformance.Cap;
using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Conformance.Tests.Spec;

/// <summary>
/// specs/README.md maps each of the city plan's 18 monitoring domains to the profiles and warning feeds that cover it;
/// this test keeps the table true to the spec.
/// </summary>
public sealed partial class DomainCoverageTests
{
    private const string Begin = "<!-- domains:begin -->";
    private const string End = "<!-- domains:end -->";

    /// <summary>The plan's domains in its order (青政字〔2022〕14号 §4(三), items (1) to (18)).</summary>
    private static readonly string[] PlanDomains =
    [
        "燃气", "供排水", "热力", "桥梁", "综合管廊", "地铁和隧道", "消防", "交通", "特种设备", "人员密集场所",
        "高危行业", "工贸行业", "地质灾害", "海洋灾害", "水旱灾害", "气象灾害", "地震灾害", "森林火灾",
    ];

    private sealed record Row(int Number, string PlanDomain, IReadOnlyList<string> Domains, IReadOnlyList<string> Profiles, IReadOnlyList<string> Feeds);

    private static List<Row> Rows()
    {
        var readme = File.ReadAllText(Path.Combine(Paths.Specs, "README.md"));
        var start = readme.IndexOf(Begin, StringComparison.Ordinal);
        var end = readme.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"specs/README.md needs the markers {Begin} and {End}.");
        return [.. readme[(start + Begin.Length)..end].Split('\n')
            .Where(line => line.StartsWith("| ", StringComparison.Ordinal) && char.IsDigit(line[2]))
            .Select(line => line.Split('|').Select(cell => cell.Trim()).ToArray())
            .Select(cells => new Row(int.Parse(cells[1], System.Globalization.CultureInfo.InvariantCulture), cells[2], Codes(cells[3]), Codes(cells[4]), Codes(cells[5])))];
    }

    private static List<string> Codes(string cell) => [.. Code().Matches(cell).Select(m => m.Groups[1].Value)];

    [Fact]
    public void Table_CoversThePlansEighteenDomains_EachWithTelemetryProfiles()
    {
        var rows = Rows();

        Assert.Equal(Enumerable.Range(1, PlanDomains.Length), rows.Select(r => r.Number));
        Assert.All(rows, r => Assert.Contains($"({PlanDomains[r.Number - 1]})", r.PlanDomain, StringComparison.Ordinal));
        Assert.All(rows, r => Assert.True(r.Profiles.Count > 0, $"plan domain {r.Number} {r.PlanDomain} has no telemetry profile"));
    }

    [Fact]
    public void Table_ListsEveryProfileOnce_WithItsDomain()
    {
        var spec = SpecCatalog.LoadDirectory(Paths.Specs);
        var rows = Rows();
        var listed = rows.SelectMany(r => r.Profiles).ToList();

        Assert.Equal(spec.Profiles.Keys.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal(
            r.Profiles.Select(p => spec.Profiles[p].Domain).Distinct().Order(StringComparer.Ordinal),
            r.Domains.Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void Table_NamesTheWarningFeedsTheHubTakes()
    {
        var feeds = Rows().SelectMany(r => r.Feeds).ToList();

        // Each natural-hazard class of the national event types (cap/README.md §4) is a feed of exactly one domain.
        Assert.Equal(NationalCapProfile.EventTypeDomains.Values.Order(StringComparer.Ordinal), feeds.Order(StringComparer.Ordinal));
        Assert.All(Rows().Where(r => r.Feeds.Count > 0), r => Assert.Equal(r.Feeds, r.Domains));
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Code();
}
