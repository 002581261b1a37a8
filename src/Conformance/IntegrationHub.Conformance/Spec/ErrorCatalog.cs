using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IntegrationHub.Conformance.Spec;

/// <summary>One entry of <c>specs/errors.json</c>, with its title and hint in Chinese for the portal's Chinese pages.</summary>
public sealed record ErrorDescriptor(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("hint")] string Hint,
    [property: JsonPropertyName("titleZh")] string? TitleZh = null,
    [property: JsonPropertyName("hintZh")] string? HintZh = null);

/// <summary>The error-code catalogue: every code the hub, the CLI and the portal use, with its status, title and fix hint.</summary>
public sealed class ErrorCatalog
{
    private readonly FrozenDictionary<string, ErrorDescriptor> _byCode;

    private ErrorCatalog(IReadOnlyList<ErrorDescriptor> errors)
    {
        All = errors;
        _byCode = errors.ToFrozenDictionary(e => e.Code, StringComparer.Ordinal);
    }

    public IReadOnlyList<ErrorDescriptor> All { get; }

    public bool TryGet(string code, out ErrorDescriptor descriptor) => _byCode.TryGetValue(code, out descriptor!);

    public ErrorDescriptor this[string code] =>
        _byCode.TryGetValue(code, out var descriptor)
            ? descriptor
            : throw new KeyNotFoundException($"Error code '{code}' is not in specs/errors.json.");

    internal static ErrorCatalog Parse(ReadOnlySpan<byte> json)
    {
        var document = JsonSerializer.Deserialize(json, SpecJsonContext.Default.ErrorCatalogDocument)
            ?? throw new SpecException(["errors.json: empty document"]);
        var duplicates = document.Errors.GroupBy(e => e.Code).Where(g => g.Count() > 1).Select(g => $"errors.json: code '{g.Key}' appears twice").ToList();
        if (duplicates.Count > 0)
        {
            throw new SpecException(duplicates);
        }
        return new ErrorCatalog(document.Errors);
    }
}

internal sealed record ErrorCatalogDocument([property: JsonPropertyName("errors")] IReadOnlyList<ErrorDescriptor> Errors);
