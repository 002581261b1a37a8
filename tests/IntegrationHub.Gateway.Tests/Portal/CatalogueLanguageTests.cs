using System.Net;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Tests.Infrastructure;

namespace IntegrationHub.Gateway.Tests.Portal;

/// <summary>
/// The requirements and error pages read in one language: a Chinese page shows the catalogues' Chinese texts and none of
/// their English prose, and an English page none of their Chinese. Inline code in the catalogues renders as code.
/// </summary>
public sealed partial class CatalogueLanguageTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private static readonly SpecCatalog Spec = SpecCatalog.LoadEmbedded();

    [Fact]
    public void EveryCatalogueEntry_HasItsChineseText()
    {
        Assert.All(Spec.Errors.All, e => Assert.False(string.IsNullOrWhiteSpace(e.TitleZh) || string.IsNullOrWhiteSpace(e.HintZh), e.Code));
        Assert.All(Spec.Requirements.All, r => Assert.False(string.IsNullOrWhiteSpace(r.TitleZh) || string.IsNullOrWhiteSpace(r.StatementZh), r.Id));
        Assert.All(Spec.Requirements.Groups, g => Assert.False(string.IsNullOrWhiteSpace(g.TitleZh) || string.IsNullOrWhiteSpace(g.DescriptionZh), g.Prefix));
    }

    [Fact]
    public void EveryProfileDomain_HasItsNameInBothLanguages()
    {
        // The duty room's board filters by domain and names each one; a domain without a name shows its resource key.
        foreach (var file in new[] { "PortalText.resx", "PortalText.zh-CN.resx" })
        {
            var names = XDocument.Load(Path.Combine(IntegrationHub.Testing.Repository.Root, "src", "Portal", "IntegrationHub.Portal", "Resources", file)).Root!
                .Elements("data").Select(d => (string)d.Attribute("name")!).ToHashSet(StringComparer.Ordinal);
            Assert.All(Spec.Profiles.Values.Select(p => p.Domain).Distinct(), domain => Assert.True(names.Contains($"Domain.{domain}"), $"{file} names no domain {domain}"));
        }
    }

    [Theory]
    [InlineData("zh-CN")]
    [InlineData("en")]
    public async Task RequirementsAndErrorPages_ShowTheCataloguesInThePagesLanguageOnly(string language)
    {
        using var client = fixture.Hub.As(null);
        var chinese = language == "zh-CN";
        var pages = new[] { "/docs/requirements", "/docs/errors" }.Concat(Spec.Errors.All.Select(e => $"/docs/errors/{e.Code}"));
        var wrong = new List<string>();

        foreach (var path in pages)
        {
            var text = Text(await client.GetStringAsync(new Uri($"{path}?lang={language}", UriKind.Relative)));
            var prose = Spec.Errors.All.SelectMany(e => chinese ? new[] { e.Title, e.Hint } : [e.TitleZh!, e.HintZh!])
                .Concat(Spec.Requirements.All.SelectMany(r => chinese ? new[] { r.Statement } : [r.StatementZh!]))
                .Concat(Spec.Requirements.Groups.Select(g => chinese ? g.Description : g.DescriptionZh!));
            wrong.AddRange(prose.Select(Plain).Where(p => text.Contains(p, StringComparison.Ordinal)).Select(p => $"{path}: {p}"));
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong.Take(20)));
        // And the page's own language is there: the requirement a methane unit error reports, in its words.
        var unit = Text(await client.GetStringAsync(new Uri($"/docs/errors/unit.unknown?lang={language}", UriKind.Relative)));
        var error = Spec.Errors["unit.unknown"];
        Assert.Contains(Plain(chinese ? error.HintZh! : error.Hint), unit, StringComparison.Ordinal);
        Assert.Contains(Plain(chinese ? Spec.Requirements.ForError("unit.unknown")[0].StatementZh! : Spec.Requirements.ForError("unit.unknown")[0].Statement), unit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InlineCode_InTheCatalogues_RendersAsCode_NotAsBackticks()
    {
        using var client = fixture.Hub.As(null);

        var html = await client.GetStringAsync(new Uri("/docs/errors/request.unsupported-media-type?lang=en", UriKind.Relative));
        var chinese = await client.GetStringAsync(new Uri("/docs/errors/request.unsupported-media-type?lang=zh-CN", UriKind.Relative));

        Assert.Contains("Send <code>Content-Type: application/json</code> (or", html, StringComparison.Ordinal);
        Assert.Contains("<code>Content-Type: application/json</code>", chinese, StringComparison.Ordinal);
        Assert.DoesNotContain("`", Regex.Replace(html, "<pre>.*?</pre>", "", RegexOptions.Singleline), StringComparison.Ordinal);
    }

    /// <summary>A page's text as a reader sees it, without the literal problem example (the API answers in English).</summary>
    private static string Text(string html) =>
        WebUtility.HtmlDecode(Tags().Replace(Pre().Replace(html, " "), ""));

    /// <summary>Catalogue prose as it reads on a page: its backticks become code elements, whose tags the text drops.</summary>
    private static string Plain(string prose) => prose.Replace("`", "", StringComparison.Ordinal);

    [GeneratedRegex("<pre>.*?</pre>", RegexOptions.Singleline)]
    private static partial Regex Pre();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tags();
}
