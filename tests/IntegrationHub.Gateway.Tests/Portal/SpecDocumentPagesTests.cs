using System.Net;
using System.Text.RegularExpressions;
using IntegrationHub.Gateway.Tests.Infrastructure;
using IntegrationHub.Portal.Docs;

namespace IntegrationHub.Gateway.Tests.Portal;

/// <summary>
/// The spec's Markdown documents (rules.md, cap/README.md, certification.md, pull.md) as portal pages: each reads in
/// the page's language only, from the translation beside the English file, with inline code, tables and headings
/// rendered; and each translation keeps the English document's structure, so an English edit without its translation fails.
/// </summary>
public sealed partial class SpecDocumentPagesTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    public static TheoryData<string, string> Pages()
    {
        var data = new TheoryData<string, string>();
        foreach (var (slug, _, _) in SpecDocument.Known)
        {
            data.Add(slug, "zh-CN");
            data.Add(slug, "en");
        }
        return data;
    }

    public static TheoryData<string> Documents() => new(SpecDocument.Known.Select(d => d.Path));

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task DocumentPage_ShowsTheDocumentInThePagesLanguageOnly(string slug, string language)
    {
        using var client = fixture.Hub.As(null);
        var path = SpecDocument.Known.Single(d => d.Slug == slug).Path;
        var english = Source(path);
        var chinese = Source(SpecDocument.ChinesePath(path));
        var chineseMode = language == "zh-CN";

        using var response = await client.GetAsync(new Uri($"/docs/{slug}?lang={language}", UriKind.Relative));
        var text = PageText(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (own, other) = chineseMode ? (ChineseProse(chinese), EnglishProse(english)) : (EnglishProse(english), ChineseProse(chinese));
        // Every sentence of the page's own document is there, and none of the other language's that its file lacks.
        var missing = own.Where(p => !text.Contains(p, StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, $"/docs/{slug}?lang={language} lacks its document's prose:\n{string.Join("\n", missing.Take(10))}");
        var ownProse = Prose(chineseMode ? chinese : english);
        var leaked = other.Where(p => !ownProse.Contains(p, StringComparison.Ordinal) && text.Contains(p, StringComparison.Ordinal)).ToList();
        Assert.True(leaked.Count == 0, $"/docs/{slug}?lang={language} shows the other language's prose:\n{string.Join("\n", leaked.Take(10))}");
        // Mostly one script: Chinese prose in Chinese mode, hardly any outside code in English mode.
        var cjk = Cjk().Count(text);
        var latin = Latin().Count(text);
        Assert.True(chineseMode ? cjk > latin : cjk * 50 < latin, $"/docs/{slug}?lang={language}: {cjk} CJK characters, {latin} Latin letters outside code");
    }

    [Theory]
    [InlineData("zh-CN")]
    [InlineData("en")]
    public async Task RulesPage_RendersInlineCodeTablesAndHeadingsWithTheSameAnchors(string language)
    {
        using var client = fixture.Hub.As(null);

        var html = await client.GetStringAsync(new Uri($"/docs/rules?lang={language}", UriKind.Relative));
        var document = DocumentHtml().Match(html).Groups[1].Value;

        Assert.Contains("<code>ch4-level</code>", document, StringComparison.Ordinal);
        Assert.Contains("<code>alert.condition-active</code>", document, StringComparison.Ordinal);
        Assert.DoesNotContain("`", PreBlock().Replace(document, ""), StringComparison.Ordinal);
        Assert.DoesNotContain("**", document, StringComparison.Ordinal);
        // The English anchors in both languages, so a link to a section works whichever language the reader chose.
        Assert.Contains("<h2 id=\"4-rate-rule-004\">", document, StringComparison.Ordinal);
        Assert.Contains("<h3 id=\"62-one-step-of-the-engine-rule-007\">", document, StringComparison.Ordinal);
        Assert.Equal(Tables(Source("rules.md")), Regex.Count(document, "<table>"));
        Assert.Equal(Regex.Count(document, "<table>"), Regex.Count(document, "<caption>"));
        Assert.Contains("<td><strong>", document, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(html, "<h1[ >]"));
    }

    [Fact]
    public async Task DocumentPages_AreLinkedFromTheDocsHome_AndTheRequirementsAndProfilePages()
    {
        using var client = fixture.Hub.As(null);

        var home = await client.GetStringAsync(new Uri("/docs", UriKind.Relative));
        var requirements = await client.GetStringAsync(new Uri("/docs/requirements", UriKind.Relative));
        var profile = await client.GetStringAsync(new Uri("/docs/profiles/gas.underground-methane", UriKind.Relative));

        Assert.All(SpecDocument.Known, d => Assert.Contains($"href=\"/docs/{d.Slug}\"", home, StringComparison.Ordinal));
        Assert.Contains("href=\"/docs/rules\"", requirements, StringComparison.Ordinal);
        Assert.Contains("href=\"/docs/rules\"", profile, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RawMarkdown_IsRefusedAsHtml_AndShownAsText()
    {
        // The pipeline passes no raw HTML through: a tag in a document comes out escaped.
        using var client = fixture.Hub.As(null);

        var html = await client.GetStringAsync(new Uri("/docs/certification?lang=en", UriKind.Relative));

        Assert.Contains("&quot;kid&quot;: &quot;&lt;key id&gt;&quot;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<key id>", html, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Translation_KeepsTheEnglishStructure(string path)
    {
        var english = Source(path);
        var chinese = Source(SpecDocument.ChinesePath(path));

        Assert.Equal(Headings(english), Headings(chinese));
        Assert.Equal(CodeBlocks(english), CodeBlocks(chinese));
        Assert.Equal(TableShapes(english), TableShapes(chinese));
        Assert.Equal(RequirementIds(english), RequirementIds(chinese));
        Assert.Equal(Sections(english), Sections(chinese));
    }

    private static string Source(string path) => File.ReadAllText(Path.Combine(Repository.Root, "specs", path));

    /// <summary>The page as a reader sees it: tags dropped, code elements cut out (they are the same in both languages), whitespace folded.</summary>
    private static string PageText(string html) =>
        Space().Replace(WebUtility.HtmlDecode(Tags().Replace(CodeElement().Replace(html, "\u0001"), "")), " ");

    /// <summary>A Markdown file's prose: code blocks and code spans cut out, emphasis and table bars dropped, whitespace folded.</summary>
    private static string Prose(string markdown)
    {
        var text = CodeSpan().Replace(Fence().Replace(markdown, "\u0001"), "\u0001");
        // Headings and paragraphs end a clause: on the page other text may follow them.
        text = Regex.Replace(Regex.Replace(text, @"^(#+ .*)$", "$1\u0001", RegexOptions.Multiline), @"\n\s*\n", "\u0001\n");
        text = text.Replace("**", "", StringComparison.Ordinal).Replace("*", "", StringComparison.Ordinal);
        return Space().Replace(Regex.Replace(text, @"^\s*(#+|\d+\.|-|\|[-| ]*\|?$)\s*", "", RegexOptions.Multiline).Replace("|", "\u0001", StringComparison.Ordinal), " ");
    }

    /// <summary>English sentences and clauses of four words or more.</summary>
    private static List<string> EnglishProse(string markdown) =>
        Clauses().Split(Prose(markdown)).Select(c => c.Trim()).Where(c => EnglishWord().Count(c) >= 4).Distinct().ToList();

    /// <summary>Chinese clauses of four characters or more.</summary>
    private static List<string> ChineseProse(string markdown) =>
        ChineseClauses().Split(Prose(markdown)).Select(c => c.Trim()).Where(c => Cjk().Count(c) >= 4).Distinct().ToList();

    private static List<string> Headings(string markdown) =>
        HeadingLine().Matches(Fence().Replace(markdown, "")).Select(m => m.Groups[1].Value).ToList();

    private static List<string> Sections(string markdown) =>
        SectionRef().Matches(Fence().Replace(markdown, "")).Select(m => m.Value).Order(StringComparer.Ordinal).ToList();

    private static List<string> CodeBlocks(string markdown) => Fence().Matches(markdown).Select(m => m.Value).ToList();

    private static int Tables(string markdown) => TableShapes(markdown).Count;

    /// <summary>Each table's number of rows and columns.</summary>
    private static List<string> TableShapes(string markdown) =>
        TableBlock().Matches(markdown).Select(m =>
        {
            var rows = m.Value.TrimEnd().Split('\n');
            return $"{rows.Length}×{rows[1].Count(c => c == '|')}";
        }).ToList();

    private static List<string> RequirementIds(string markdown) =>
        RequirementId().Matches(markdown).Select(m => m.Value).Distinct().Order(StringComparer.Ordinal).ToList();

    [GeneratedRegex("<div class=\"spec-document\">(.*)</div>\\s*</main>", RegexOptions.Singleline)]
    private static partial Regex DocumentHtml();

    [GeneratedRegex("<pre>.*?</pre>", RegexOptions.Singleline)]
    private static partial Regex PreBlock();

    [GeneratedRegex("<code[^>]*>.*?</code>", RegexOptions.Singleline)]
    private static partial Regex CodeElement();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Space();

    [GeneratedRegex("^```.*?^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex Fence();

    [GeneratedRegex("`[^`]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"[.;:,()\u0001—\[\]]|(?<=\s)[-<>=→×…]+(?=\s)")]
    private static partial Regex Clauses();

    [GeneratedRegex(@"[，。；：、（）“”\u0001.;:,()\[\]…→]")]
    private static partial Regex ChineseClauses();

    [GeneratedRegex(@"\b[A-Za-z]{2,}\b")]
    private static partial Regex EnglishWord();

    [GeneratedRegex(@"\p{IsCJKUnifiedIdeographs}")]
    private static partial Regex Cjk();

    [GeneratedRegex("[A-Za-z]")]
    private static partial Regex Latin();

    [GeneratedRegex(@"^(#+ [0-9.]*)", RegexOptions.Multiline)]
    private static partial Regex HeadingLine();

    [GeneratedRegex(@"§[0-9.]*[0-9]")]
    private static partial Regex SectionRef();

    [GeneratedRegex(@"(?:^\|.*\n?)+", RegexOptions.Multiline)]
    private static partial Regex TableBlock();

    [GeneratedRegex(@"\b[A-Z]{2,5}-\d{3}\b")]
    private static partial Regex RequirementId();
}
