using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IntegrationHub.Conformance.Spec;

/// <summary>One numbered requirement of <c>specs/requirements.json</c>, with its title and statement in Chinese too.</summary>
public sealed record Requirement(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("statement")] string Statement,
    [property: JsonPropertyName("errors")] IReadOnlyList<string> Errors,
    [property: JsonPropertyName("see")] IReadOnlyList<string> See,
    [property: JsonPropertyName("titleZh")] string? TitleZh = null,
    [property: JsonPropertyName("statementZh")] string? StatementZh = null);

public sealed record RequirementGroup(
    [property: JsonPropertyName("prefix")] string Prefix,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("titleZh")] string? TitleZh = null,
    [property: JsonPropertyName("descriptionZh")] string? DescriptionZh = null);

/// <summary>
/// The requirements catalogue: numbered requirements, each with the error codes that report a breach of it. Loading
/// checks both directions against the error catalogue: every code a requirement names exists, and every error code
/// belongs to at least one requirement.
/// </summary>
public sealed partial class RequirementCatalog
{
    private readonly FrozenDictionary<string, Requirement> _byId;
    private readonly FrozenDictionary<string, Requirement[]> _byError;

    private RequirementCatalog(RequirementsDocument document)
    {
        Groups = document.Groups;
        All = document.Requirements;
        _byId = All.ToFrozenDictionary(r => r.Id, StringComparer.Ordinal);
        _byError = All.SelectMany(r => r.Errors.Select(code => (code, r)))
            .GroupBy(p => p.code, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.Select(p => p.r).ToArray(), StringComparer.Ordinal);
    }

    public IReadOnlyList<RequirementGroup> Groups { get; }
    public IReadOnlyList<Requirement> All { get; }

    public bool TryGet(string id, out Requirement requirement) => _byId.TryGetValue(id, out requirement!);

    /// <summary>The requirements a breach of which the error code reports.</summary>
    public IReadOnlyList<Requirement> ForError(string code) => _byError.GetValueOrDefault(code) ?? [];

    internal static RequirementCatalog Parse(ReadOnlySpan<byte> json, ErrorCatalog? errors, List<string> problems)
    {
        var document = JsonSerializer.Deserialize(json, SpecJsonContext.Default.RequirementsDocument)
            ?? throw new JsonException("empty document");
        var prefixes = document.Groups.Select(g => g.Prefix).ToHashSet(StringComparer.Ordinal);
        foreach (var duplicate in document.Requirements.GroupBy(r => r.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"requirements.json: id '{duplicate.Key}' appears twice");
        }
        foreach (var requirement in document.Requirements)
        {
            var match = IdPattern().Match(requirement.Id);
            if (!match.Success || !prefixes.Contains(match.Groups["prefix"].Value))
            {
                problems.Add($"requirements.json: '{requirement.Id}' is not PREFIX-NNN with a prefix of the groups");
            }
            if (errors is null)
            {
                continue;
            }
            foreach (var code in requirement.Errors.Where(c => !errors.TryGet(c, out _)))
            {
                problems.Add($"requirements.json: {requirement.Id} names error code '{code}', which errors.json does not list");
            }
        }
        var catalog = new RequirementCatalog(document);
        if (errors is not null)
        {
            foreach (var error in errors.All.Where(e => catalog.ForError(e.Code).Count == 0))
            {
                problems.Add($"errors.json: code '{error.Code}' belongs to no requirement in requirements.json");
            }
        }
        return catalog;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^(?<prefix>[A-Z]+)-[0-9]{3}$")]
    private static partial System.Text.RegularExpressions.Regex IdPattern();
}

internal sealed record RequirementsDocument(
    [property: JsonPropertyName("groups")] IReadOnlyList<RequirementGroup> Groups,
    [property: JsonPropertyName("requirements")] IReadOnlyList<Requirement> Requirements);
