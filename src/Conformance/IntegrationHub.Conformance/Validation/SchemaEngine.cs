using System.Collections.Frozen;

using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;
using Json.Schema.Keywords;

namespace IntegrationHub.Conformance.Validation;

/// <summary>
/// How the spec's JSON Schemas are built: JsonSchema.Net's draft 2020-12 dialect, with regular expressions read as
/// ECMA-262 writes them (JSON Schema's regex dialect) where .NET spells them differently, and with keywords of
/// vocabularies a metaschema switches off kept as annotations, as the specification asks.
/// </summary>
public static class SchemaEngine
{
    private static readonly Dialect Draft202012 = Dialect.Draft202012.With(
        [new EcmaPatternKeyword(), new EcmaPatternPropertiesKeyword()],
        Dialect.Draft202012.Id,
        allowUnknownKeywords: true);

    /// <summary>Build options over a registry of their own, so schemas built elsewhere in the process never collide on $id.</summary>
    public static BuildOptions CreateBuildOptions(SchemaRegistry? registry = null)
    {
        var dialects = new DialectRegistry();
        dialects.Register(Draft202012);
        return new BuildOptions
        {
            SchemaRegistry = registry ?? new SchemaRegistry(),
            DialectRegistry = dialects,
            Dialect = Draft202012,
        };
    }

    private sealed class EcmaPatternKeyword : PatternKeyword
    {
        public override object? ValidateKeywordValue(JsonElement value) => base.ValidateKeywordValue(EcmaRegex.TranslateElement(value));
    }

    private sealed class EcmaPatternPropertiesKeyword : PatternPropertiesKeyword
    {
        // The base keeps its regexes keyed by the pattern as written; the subschemas are looked up by that key later.
        public override object? ValidateKeywordValue(JsonElement value)
        {
            if (value.ValueKind != JsonValueKind.Object)
            {
                return base.ValidateKeywordValue(value);
            }
            var regexes = new Dictionary<string, Regex>(StringComparer.Ordinal);
            foreach (var property in value.EnumerateObject())
            {
                regexes[property.Name] = new Regex(EcmaRegex.Translate(property.Name), RegexOptions.Compiled);
            }
            return regexes;
        }
    }
}

/// <summary>Rewrites the ECMA-262 constructs .NET spells differently: Unicode property escapes by long name (<c>\p{Letter}</c>).</summary>
internal static partial class EcmaRegex
{
    private static readonly FrozenDictionary<string, string> GeneralCategories = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Letter"] = "L", ["Uppercase_Letter"] = "Lu", ["Lowercase_Letter"] = "Ll", ["Titlecase_Letter"] = "Lt", ["Modifier_Letter"] = "Lm", ["Other_Letter"] = "Lo",
        ["Mark"] = "M", ["Combining_Mark"] = "M", ["Nonspacing_Mark"] = "Mn", ["Spacing_Mark"] = "Mc", ["Enclosing_Mark"] = "Me",
        ["Number"] = "N", ["Decimal_Number"] = "Nd", ["digit"] = "Nd", ["Letter_Number"] = "Nl", ["Other_Number"] = "No",
        ["Punctuation"] = "P", ["punct"] = "P", ["Connector_Punctuation"] = "Pc", ["Dash_Punctuation"] = "Pd", ["Open_Punctuation"] = "Ps", ["Close_Punctuation"] = "Pe",
        ["Initial_Punctuation"] = "Pi", ["Final_Punctuation"] = "Pf", ["Other_Punctuation"] = "Po",
        ["Symbol"] = "S", ["Math_Symbol"] = "Sm", ["Currency_Symbol"] = "Sc", ["Modifier_Symbol"] = "Sk", ["Other_Symbol"] = "So",
        ["Separator"] = "Z", ["Space_Separator"] = "Zs", ["Line_Separator"] = "Zl", ["Paragraph_Separator"] = "Zp",
        ["Other"] = "C", ["Control"] = "Cc", ["cntrl"] = "Cc", ["Format"] = "Cf", ["Surrogate"] = "Cs", ["Private_Use"] = "Co", ["Unassigned"] = "Cn",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static string Translate(string pattern) =>
        !pattern.Contains("\\p{", StringComparison.Ordinal) && !pattern.Contains("\\P{", StringComparison.Ordinal)
            ? pattern
            : PropertyEscape().Replace(pattern, match =>
            {
                var name = match.Groups["name"].Value;
                var separator = name.IndexOf('=', StringComparison.Ordinal);
                if (separator >= 0 && name[..separator] is "General_Category" or "gc")
                {
                    name = name[(separator + 1)..];
                }
                return GeneralCategories.TryGetValue(name, out var shortName)
                    ? match.Value[..3] + shortName + "}"
                    : match.Value;
            });

    public static JsonElement TranslateElement(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return value;
        }
        var pattern = value.GetString()!;
        var translated = Translate(pattern);
        return ReferenceEquals(pattern, translated) ? value : JsonSerializer.SerializeToElement(translated, EcmaJsonContext.Default.String);
    }

    [GeneratedRegex(@"\\[pP]\{(?<name>[A-Za-z_=]+)\}")]
    private static partial Regex PropertyEscape();
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class EcmaJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
