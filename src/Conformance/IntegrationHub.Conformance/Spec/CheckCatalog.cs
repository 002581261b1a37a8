using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace IntegrationHub.Conformance.Spec;

/// <summary>
/// One check of a certification run, as <c>specs/certification-checks.json</c> lists it: the requirement it enforces,
/// its title and the findings it makes itself, each text in English and Chinese with <c>{name}</c> placeholders.
/// </summary>
public sealed record CertificationCheck(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("requirement")] string Requirement,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("titleZh")] string TitleZh,
    [property: JsonPropertyName("findings")] IReadOnlyList<CheckFindingText> Findings)
{
    /// <summary>The English title with its values filled in, as the signed report carries it.</summary>
    public string FormatTitle(params ReadOnlySpan<(string Name, string Value)> values) => CheckCatalog.Fill(Title, values);

    /// <summary>A finding this check makes, by its id.</summary>
    public CheckFindingText Finding(string id) =>
        Findings.FirstOrDefault(f => f.Id == id) ?? throw new KeyNotFoundException($"Check '{Id}' has no finding '{id}' in specs/certification-checks.json.");
}

/// <summary>A finding's text: the error code it reports under and its detail in both languages.</summary>
public sealed record CheckFindingText(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("detail")] string Detail,
    [property: JsonPropertyName("detailZh")] string DetailZh)
{
    /// <summary>The English detail with its values filled in, as the signed report carries it.</summary>
    public string Format(params ReadOnlySpan<(string Name, string Value)> values) => CheckCatalog.Fill(Detail, values);
}

/// <summary>
/// The certification checks by id. The report keeps English texts (it is signed, and its bytes never change); readers
/// in another language get theirs from here. Loading checks that each check's requirement and each finding's code
/// exist, and that both languages use the same placeholders, so the portal can carry a report's values across.
/// </summary>
public sealed partial class CheckCatalog
{
    public const string Path = "certification-checks.json";

    private readonly FrozenDictionary<string, CertificationCheck> _byId;

    private CheckCatalog(IReadOnlyList<CertificationCheck> checks)
    {
        All = checks;
        _byId = checks.ToFrozenDictionary(c => c.Id, StringComparer.Ordinal);
    }

    public IReadOnlyList<CertificationCheck> All { get; }

    public CertificationCheck this[string id] =>
        _byId.TryGetValue(id, out var check) ? check : throw new KeyNotFoundException($"Check '{id}' is not in specs/certification-checks.json.");

    /// <summary>The placeholder names of a text, in order.</summary>
    public static IEnumerable<string> Placeholders(string text) => Placeholder().Matches(text).Select(m => m.Groups["name"].Value);

    internal static string Fill(string template, ReadOnlySpan<(string Name, string Value)> values)
    {
        var byName = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            byName[name] = value;
        }
        return Placeholder().Replace(template, m => byName.TryGetValue(m.Groups["name"].Value, out var value)
            ? value
            : throw new ArgumentException($"No value for {{{m.Groups["name"].Value}}} in \"{template}\".", nameof(values)));
    }

    internal static CheckCatalog Parse(ReadOnlySpan<byte> json, ErrorCatalog? errors, RequirementCatalog? requirements, List<string> problems)
    {
        var document = JsonSerializer.Deserialize(json, SpecJsonContext.Default.CheckCatalogDocument)
            ?? throw new JsonException("empty document");
        foreach (var duplicate in document.Checks.GroupBy(c => c.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"{Path}: check '{duplicate.Key}' appears twice");
        }
        foreach (var check in document.Checks)
        {
            if (requirements is not null && !requirements.TryGet(check.Requirement, out _))
            {
                problems.Add($"{Path}: {check.Id} names requirement '{check.Requirement}', which requirements.json does not list");
            }
            Texts(check.Id, check.Title, check.TitleZh);
            foreach (var duplicate in check.Findings.GroupBy(f => f.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
            {
                problems.Add($"{Path}: {check.Id} lists finding '{duplicate.Key}' twice");
            }
            foreach (var finding in check.Findings)
            {
                if (errors is not null && !errors.TryGet(finding.Code, out _))
                {
                    problems.Add($"{Path}: {check.Id}/{finding.Id} names error code '{finding.Code}', which errors.json does not list");
                }
                Texts($"{check.Id}/{finding.Id}", finding.Detail, finding.DetailZh);
            }
        }
        return new CheckCatalog(document.Checks);

        void Texts(string where, string english, string chinese)
        {
            if (string.IsNullOrWhiteSpace(english) || string.IsNullOrWhiteSpace(chinese))
            {
                problems.Add($"{Path}: {where} needs its text in English and Chinese");
                return;
            }
            if (!Placeholders(english).Order(StringComparer.Ordinal).SequenceEqual(Placeholders(chinese).Order(StringComparer.Ordinal)))
            {
                problems.Add($"{Path}: {where} has placeholders {{{string.Join("}, {", Placeholders(english))}}} in English but {{{string.Join("}, {", Placeholders(chinese))}}} in Chinese");
            }
            // A reader finds the values again between the fixed words; two placeholders side by side would not split.
            if (AdjacentPlaceholders().IsMatch(english))
            {
                problems.Add($"{Path}: {where} has two placeholders with no text between them");
            }
        }
    }

    [GeneratedRegex(@"\{(?<name>[A-Za-z]+)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"\}\{")]
    private static partial Regex AdjacentPlaceholders();
}

internal sealed record CheckCatalogDocument([property: JsonPropertyName("checks")] IReadOnlyList<CertificationCheck> Checks);
