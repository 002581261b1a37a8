using System.Collections.Frozen;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;
using Json.Schema.Keywords;

namespace IntegrationHub.Conformance.Validation;

/// <summary>
/// How the spec's JSON Schemas are built: JsonSchema.Net's draft 2020-12 dialect, with regular expressions read as
/// ECMA-262 writes them (JSON Schema's regex dialect) where .NET spells them differently, <c>uniqueItems</c> comparing
/// numbers exactly, and with keywords of vocabularies a metaschema switches off kept as annotations, as the
/// specification asks.
/// </summary>
public static class SchemaEngine
{
    private static readonly Dialect Draft202012 = Dialect.Draft202012.With(
        [new EcmaPatternKeyword(), new EcmaPatternPropertiesKeyword(), new ExactUniqueItemsKeyword()],
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

    /// <summary>
    /// <c>uniqueItems</c> by JSON equality (JSON Schema core §4.2.2): JsonSchema.Net compares numbers as decimals, so a
    /// number a decimal cannot hold (1e29, 1e400) threw out of the evaluation, and numbers finer than a decimal compared
    /// equal. Each item is reduced to a canonical key instead: numbers by digits and exponent, objects by sorted members.
    /// </summary>
    private sealed class ExactUniqueItemsKeyword : UniqueItemsKeyword
    {
        public override KeywordEvaluation Evaluate(KeywordData keyword, EvaluationContext context)
        {
            if (keyword.RawValue.ValueKind != JsonValueKind.True || context.Instance.ValueKind != JsonValueKind.Array)
            {
                return new KeywordEvaluation { Keyword = Name, IsValid = true };
            }
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            var index = 0;
            foreach (var item in context.Instance.EnumerateArray())
            {
                if (!seen.TryAdd(JsonEquality.Key(item), index))
                {
                    return new KeywordEvaluation { Keyword = Name, IsValid = false, Error = $"Items {seen[JsonEquality.Key(item)]} and {index} are equal; every item must be unique." };
                }
                index++;
            }
            return new KeywordEvaluation { Keyword = Name, IsValid = true };
        }
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

/// <summary>A canonical key per JSON value: two values have the same key exactly when they are equal as JSON.</summary>
internal static class JsonEquality
{
    public static string Key(JsonElement element)
    {
        var key = new StringBuilder();
        Append(element, key);
        return key.ToString();
    }

    private static void Append(JsonElement element, StringBuilder key)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                AppendNumber(JsonMarshal.GetRawUtf8Value(element), key);
                break;
            case JsonValueKind.String:
                // A string that is not text cannot be read: its bytes as written stand for it.
                AppendText(key, JsonText.IsText(element) ? element.GetString()! : null, JsonMarshal.GetRawUtf8Value(element));
                break;
            case JsonValueKind.Array:
                key.Append('[');
                foreach (var item in element.EnumerateArray())
                {
                    Append(item, key);
                    key.Append(',');
                }
                key.Append(']');
                break;
            case JsonValueKind.Object:
                var members = element.EnumerateObject()
                    .Select(p =>
                    {
                        var name = new StringBuilder();
                        AppendText(name, JsonText.IsText(p) ? p.Name : null, JsonMarshal.GetRawUtf8PropertyName(p));
                        return (Name: name.ToString(), p.Value);
                    })
                    .OrderBy(p => p.Name, StringComparer.Ordinal);
                key.Append('{');
                foreach (var (name, value) in members)
                {
                    key.Append(name);
                    Append(value, key);
                }
                key.Append('}');
                break;
            default:
                key.Append(element.ValueKind);
                break;
        }
    }

    // Length-prefixed, so that no text can pass for another's end and the next one's start.
    private static void AppendText(StringBuilder key, string? text, ReadOnlySpan<byte> raw)
    {
        var value = text ?? Convert.ToBase64String(raw);
        key.Append(text is null ? 'b' : 's').Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value);
    }

    // -?int(.frac)?([eE][+-]?exp)? as significant digits and the exponent of the last one: 1, 1.0, 10e-1 and 0.1e1 agree.
    private static void AppendNumber(ReadOnlySpan<byte> raw, StringBuilder key)
    {
        var negative = raw[0] == (byte)'-';
        var text = Encoding.ASCII.GetString(negative ? raw[1..] : raw);
        var e = text.IndexOfAny(['e', 'E']);
        var mantissa = e < 0 ? text : text[..e];
        var exponent = e < 0 ? BigInteger.Zero : BigInteger.Parse(text[(e + 1)..].TrimStart('+'), CultureInfo.InvariantCulture);
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var digits = dot < 0 ? mantissa : string.Concat(mantissa.AsSpan(0, dot), mantissa.AsSpan(dot + 1));
        if (dot >= 0)
        {
            exponent -= mantissa.Length - dot - 1;
        }
        digits = digits.TrimStart('0');
        var trimmed = digits.TrimEnd('0');
        exponent += digits.Length - trimmed.Length;
        if (trimmed.Length == 0)
        {
            key.Append("n0;");
            return;
        }
        key.Append('n').Append(negative ? "-" : "").Append(trimmed).Append('e').Append(exponent.ToString(CultureInfo.InvariantCulture)).Append(';');
    }
}
