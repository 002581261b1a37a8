using System.Collections.Frozen;
using System.Text.Json;

namespace IntegrationHub.Conformance.Spec;

/// <summary>One type of agency warning: the CAP <c>event</c> names agencies use for it, and the hub domains it affects.</summary>
public sealed record WarningType(string Id, IReadOnlyList<string> Names, string Title, string TitleZh, string WarningDomain, IReadOnlyList<string> Domains, string Why);

/// <summary>
/// The agencies' warning types of <c>specs/cap/warning-types.json</c> (rules.md §5b, RULE-015): what a profile rule's
/// <c>context</c> names, and how the hub recognises a posted warning as one of them, by its CAP <c>event</c>.
/// </summary>
public sealed class WarningTypeCatalog
{
    public const string Path = "cap/warning-types.json";

    private readonly FrozenDictionary<string, WarningType> _byEvent;

    private WarningTypeCatalog(IReadOnlyList<WarningType> types)
    {
        Types = types;
        ById = types.ToFrozenDictionary(t => t.Id, StringComparer.Ordinal);
        _byEvent = types.SelectMany(t => t.Names.Select(n => (Name: n, Type: t))).ToFrozenDictionary(x => x.Name, x => x.Type, StringComparer.Ordinal);
    }

    public IReadOnlyList<WarningType> Types { get; }

    public FrozenDictionary<string, WarningType> ById { get; }

    /// <summary>The type of a warning by its CAP <c>event</c> as sent (surrounding spaces aside); null for events no type names.</summary>
    public WarningType? OfEvent(string capEvent) => _byEvent.GetValueOrDefault(capEvent.Trim());

    internal static WarningTypeCatalog Parse(ReadOnlySpan<byte> json, List<string> problems)
    {
        var document = JsonSerializer.Deserialize(json, SpecJsonContext.Default.WarningTypesDocument) ?? throw new JsonException("empty document");
        var names = new HashSet<string>(StringComparer.Ordinal);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var type in document.Types)
        {
            if (!ids.Add(type.Id))
            {
                problems.Add($"{Path}: type '{type.Id}' is listed twice");
            }
            foreach (var name in type.Names.Where(n => !names.Add(n)))
            {
                problems.Add($"{Path}: the event name '{name}' belongs to two types");
            }
            if (type.Names.Count == 0 || type.Domains.Count == 0)
            {
                problems.Add($"{Path}: type '{type.Id}' needs event names and domains");
            }
        }
        return new WarningTypeCatalog(document.Types);
    }
}

internal sealed record WarningTypesDocument(IReadOnlyList<WarningType> Types);
