using System.Text.RegularExpressions;
using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Conformance.Tests.Spec;

/// <summary>Every certification check and every finding it makes itself reads in English and in Chinese.</summary>
public sealed partial class CheckCatalogTests
{
    private static readonly SpecCatalog Spec = SpecCatalog.LoadDirectory(Paths.Specs);

    public static TheoryData<string> Checks() => new(Spec.Checks.All.Select(c => c.Id));

    [Theory]
    [MemberData(nameof(Checks))]
    public void Check_HasItsTitleAndFindingsInBothLanguages(string id)
    {
        var check = Spec.Checks[id];

        Assert.Matches(Chinese(), check.TitleZh);
        Assert.DoesNotMatch(Chinese(), check.Title);
        Assert.True(Spec.Requirements.TryGet(check.Requirement, out _), check.Requirement);
        Assert.All(check.Findings, finding =>
        {
            Assert.Matches(Chinese(), finding.DetailZh);
            Assert.DoesNotMatch(Chinese(), finding.Detail);
            Assert.Equal(CheckCatalog.Placeholders(finding.Detail).Order(), CheckCatalog.Placeholders(finding.DetailZh).Order());
            Assert.True(Spec.Errors.TryGet(finding.Code, out var error), finding.Code);
            Assert.False(string.IsNullOrEmpty(error.TitleZh), finding.Code);
            Assert.False(string.IsNullOrEmpty(error.HintZh), finding.Code);
        });
    }

    /// <summary>The checks the hub's sessions and the CLI's pull suite make are exactly the catalogue's.</summary>
    [Fact]
    public void Catalogue_ListsEveryCheckOfEveryClass()
    {
        string[] session = ["every-device-reports", "valid-messages", "device-clock", "duplicate-handling", "units", "reporting-interval", "alarm-on-threshold"];
        string[] pull = ["answers-200", "media-type", "canonical-batch"];

        Assert.Equal(session.Concat(pull).Order(StringComparer.Ordinal), Spec.Checks.All.Select(c => c.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Load_CheckWithoutItsChineseTitle_IsRefused()
    {
        var problems = SpecMutations.Problems(CheckCatalog.Path, document => document["checks"]![0]!.AsObject()["titleZh"] = " ");

        Assert.Contains("certification-checks.json: every-device-reports needs its text in English and Chinese", problems);
    }

    [Fact]
    public void Load_ChineseTextWithOtherPlaceholders_IsRefused()
    {
        var problems = SpecMutations.Problems(CheckCatalog.Path, document =>
            document["checks"]![0]!["findings"]![0]!.AsObject()["detailZh"] = "设备“{deviceId}”在会话期间没有通过 {transport} 发送任何被接受的消息。");

        Assert.Contains("certification-checks.json: every-device-reports/no-arrivals has placeholders {device}, {transport} in English but {deviceId}, {transport} in Chinese", problems);
    }

    [Fact]
    public void Load_UnknownRequirementOrCode_IsRefused()
    {
        var problems = SpecMutations.Problems(CheckCatalog.Path, document =>
        {
            document["checks"]![0]!.AsObject()["requirement"] = "CERT-999";
            document["checks"]![0]!["findings"]![0]!.AsObject()["code"] = "certification.nothing";
        });

        Assert.Contains("certification-checks.json: every-device-reports names requirement 'CERT-999', which requirements.json does not list", problems);
        Assert.Contains("certification-checks.json: every-device-reports/no-arrivals names error code 'certification.nothing', which errors.json does not list", problems);
    }

    [Fact]
    public void Load_PlaceholdersSideBySide_AreRefused()
    {
        var problems = SpecMutations.Problems(CheckCatalog.Path, document =>
        {
            var finding = document["checks"]![0]!["findings"]![0]!.AsObject();
            finding["detail"] = "Device {device}{transport}.";
            finding["detailZh"] = "设备 {device}{transport}。";
        });

        Assert.Contains("certification-checks.json: every-device-reports/no-arrivals has two placeholders with no text between them", problems);
    }

    [GeneratedRegex(@"\p{IsCJKUnifiedIdeographs}")]
    private static partial Regex Chinese();
}
