using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IntegrationHub.Conformance.Spec;

/// <summary>One GB/T 2260 area: its six-digit code, its Chinese name and, where the table has one, its English name.</summary>
public sealed record Area(string Code, string Name, string? NameEn);

/// <summary>
/// The GB/T 2260 table of <c>specs/areas/gb-t-2260.json</c>: the area codes the hub accepts as districts (ADM-009) and
/// the names it shows for them (CAP <c>areaDesc</c>, the console). One source for every part of the hub.
/// </summary>
public sealed class AreaCatalog
{
    public const string Path = "areas/gb-t-2260.json";

    private readonly FrozenDictionary<string, Area> _byCode;

    private AreaCatalog(string edition, FrozenDictionary<string, Area> byCode)
    {
        Edition = edition;
        _byCode = byCode;
    }

    /// <summary>The edition of the source the table was extracted from (a date).</summary>
    public string Edition { get; }

    public int Count => _byCode.Count;

    public bool TryGet(string code, out Area area) => _byCode.TryGetValue(code, out area!);

    /// <summary>Whether a code has the GB/T 2260 form, six digits; whether an area has it is the table's to say.</summary>
    public static bool IsWellFormed(string code) => code.Length == 6 && code.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0;

    /// <summary>The area's Chinese name, or null for a code the table does not hold.</summary>
    public string? NameOf(string code) => _byCode.TryGetValue(code, out var area) ? area.Name : null;

    internal static AreaCatalog Parse(ReadOnlySpan<byte> json, List<string> problems)
    {
        var document = JsonSerializer.Deserialize(json, SpecJsonContext.Default.AreasDocument) ?? throw new JsonException("empty document");
        var areas = new Dictionary<string, Area>(StringComparer.Ordinal);
        foreach (var (code, entry) in document.Areas)
        {
            if (!IsWellFormed(code) || string.IsNullOrWhiteSpace(entry.Name))
            {
                problems.Add($"{Path}: '{code}' is not a six-digit code with a name");
                continue;
            }
            areas[code] = new Area(code, entry.Name, entry.NameEn);
        }
        return new AreaCatalog(document.Edition, areas.ToFrozenDictionary(StringComparer.Ordinal));
    }
}

internal sealed record AreasDocument(
    [property: JsonPropertyName("edition")] string Edition,
    [property: JsonPropertyName("areas")] IReadOnlyDictionary<string, AreaEntry> Areas);

internal sealed record AreaEntry(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("nameEn")] string? NameEn = null);
