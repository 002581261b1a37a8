using System.Net;
using System.Text;
using IntegrationHub.Conformance.Spec;
using Markdig;
using Markdig.Extensions.Tables;
using Markdig.Renderers;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace IntegrationHub.Portal.Docs;

/// <summary>One of the spec's Markdown documents as a portal page: its heading and its body as HTML.</summary>
public sealed record SpecDocumentText(string SourcePath, string Heading, string Html);

/// <summary>
/// A Markdown document of the spec (rules.md, cap/README.md, …) and its Chinese translation beside it
/// (<c>rules.zh-CN.md</c>), rendered once from the embedded spec the hub serves at <c>/specs/v1</c>.
/// </summary>
public sealed class SpecDocument
{
    /// <summary>The documents the portal shows, by slug (<c>/docs/{slug}</c>), with their English file and their nav text.</summary>
    public static readonly IReadOnlyList<(string Slug, string Path, string Title)> Known =
    [
        ("rules", "rules.md", "Alert rules"),
        ("cap", "cap/README.md", "CAP warnings"),
        ("certification", "certification.md", "Certification"),
        ("pull", "pull.md", "The pull contract"),
    ];

    // Raw HTML in the source is shown as text, never passed through: the pages' CSP forbids scripts anyway, and the
    // spec's Markdown has no reason to carry markup.
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .UseAutoIdentifiers(Markdig.Extensions.AutoIdentifiers.AutoIdentifierOptions.GitHub)
        .DisableHtml()
        .Build();

    private SpecDocument(string slug, string path, string title, SpecDocumentText english, SpecDocumentText? chinese)
    {
        Slug = slug;
        Path = path;
        Title = title;
        English = english;
        Chinese = chinese;
    }

    public string Slug { get; }

    /// <summary>The English file's path in <c>specs/</c>.</summary>
    public string Path { get; }

    /// <summary>The portal text (PortalText key) that names the document in titles and links.</summary>
    public string Title { get; }

    public SpecDocumentText English { get; }

    /// <summary>The translation, or null while the spec has none.</summary>
    public SpecDocumentText? Chinese { get; }

    public string Href => $"/docs/{Slug}";

    /// <summary>The document in the page's language; English where there is no translation.</summary>
    public SpecDocumentText Text => PortalCultures.IsChinese && Chinese is not null ? Chinese : English;

    /// <summary>Where a document's Chinese translation lives: <c>rules.md</c> → <c>rules.zh-CN.md</c>.</summary>
    public static string ChinesePath(string path) => path[..^".md".Length] + ".zh-CN.md";

    /// <summary>The documents of <paramref name="spec"/> that are there, by slug.</summary>
    public static IReadOnlyDictionary<string, SpecDocument> Load(SpecCatalog spec)
    {
        var documents = new Dictionary<string, SpecDocument>(StringComparer.Ordinal);
        foreach (var (slug, path, title) in Known)
        {
            if (spec.FindFile(path) is not { } file)
            {
                continue;
            }
            var english = Parse(file.Content);
            var anchors = english.Descendants<HeadingBlock>().Select(h => h.GetAttributes().Id).ToList();
            var chinese = spec.FindFile(ChinesePath(path)) is { } translation ? Parse(translation.Content) : null;
            if (chinese is not null)
            {
                // The translation's headings take the English anchors, so /docs/rules#4-rate-rule-004 leads to the same
                // section in either language.
                var headings = chinese.Descendants<HeadingBlock>().ToList();
                if (headings.Count == anchors.Count)
                {
                    for (var i = 0; i < headings.Count; i++)
                    {
                        headings[i].GetAttributes().Id = anchors[i];
                    }
                }
            }
            documents[slug] = new SpecDocument(slug, path, title, Render(english, path), chinese is null ? null : Render(chinese, ChinesePath(path)));
        }
        return documents;
    }

    private static MarkdownDocument Parse(byte[] content) => Markdown.Parse(Encoding.UTF8.GetString(content), Pipeline);

    private static SpecDocumentText Render(MarkdownDocument document, string sourcePath)
    {
        // The page's own h1 is the document's title; the body starts below it.
        var title = document.OfType<HeadingBlock>().FirstOrDefault(h => h.Level == 1);
        var heading = title is null ? sourcePath : PlainText(title.Inline);
        if (title is not null)
        {
            document.Remove(title);
        }
        foreach (var link in document.Descendants<LinkInline>())
        {
            link.Url = LinkTarget(link.Url, sourcePath);
        }

        // Every table is labelled by the section it stands in, and scrolls on its own on a narrow screen.
        var captions = new List<string>();
        var section = heading;
        foreach (var block in document.Descendants().OfType<Block>())
        {
            if (block is HeadingBlock h)
            {
                section = PlainText(h.Inline);
            }
            else if (block is Table)
            {
                captions.Add(section);
            }
        }

        using var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        renderer.Render(document);
        writer.Flush();

        var html = new StringBuilder();
        var body = writer.ToString();
        var at = 0;
        var table = 0;
        while (body.IndexOf("<table>", at, StringComparison.Ordinal) is var start and >= 0)
        {
            html.Append(body, at, start - at)
                .Append("<div class=\"table-wrap\"><table><caption>")
                .Append(WebUtility.HtmlEncode(table < captions.Count ? captions[table] : heading))
                .Append("</caption>");
            table++;
            var end = body.IndexOf("</table>", start, StringComparison.Ordinal);
            html.Append(body, start + "<table>".Length, end - start - "<table>".Length).Append("</table></div>");
            at = end + "</table>".Length;
        }
        html.Append(body, at, body.Length - at);
        return new SpecDocumentText(sourcePath, heading, html.ToString());
    }

    /// <summary>
    /// Where a link of the document leads on the hub: another shown document to its page, any other file of the spec to
    /// <c>/specs/v1/…</c>, a fragment or web address as written. Anything else (a <c>javascript:</c> address) goes nowhere.
    /// </summary>
    private static string LinkTarget(string? url, string sourcePath)
    {
        if (string.IsNullOrEmpty(url) || url.StartsWith('#'))
        {
            return url ?? "";
        }
        if (Uri.TryCreate(url, UriKind.Absolute, out var absolute))
        {
            return absolute.Scheme is "http" or "https" ? url : "#";
        }
        var fragment = url.IndexOf('#', StringComparison.Ordinal) is var hash and >= 0 ? url[hash..] : "";
        var relative = url[..(url.Length - fragment.Length)];
        var folder = sourcePath.Contains('/', StringComparison.Ordinal) ? sourcePath[..(sourcePath.LastIndexOf('/') + 1)] : "";
        var resolved = new Uri(new Uri("spec:/" + folder), relative).AbsolutePath.TrimStart('/');
        var shown = Known.FirstOrDefault(d => d.Path == resolved || ChinesePath(d.Path) == resolved);
        return shown.Slug is not null ? $"/docs/{shown.Slug}{fragment}" : $"{SpecDocs.SpecRoot}/{resolved}{fragment}";
    }

    private static string PlainText(ContainerInline? inline)
    {
        var text = new StringBuilder();
        foreach (var child in inline?.Descendants<Inline>() ?? [])
        {
            switch (child)
            {
                case LiteralInline literal: text.Append(literal.Content.ToString()); break;
                case CodeInline code: text.Append(code.Content); break;
            }
        }
        return text.ToString().Trim();
    }
}
