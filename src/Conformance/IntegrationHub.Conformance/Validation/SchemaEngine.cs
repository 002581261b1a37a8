using System.Collections.Frozen;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;
using Json.Schema.Keywords;

namespace IntegrationHub.Conformance.Validation;

/// <summary>
/// How the spec's JSON Schemas are built: JsonSchema.Net's draft 2020-12 dialect, with regular expressions read as
/// ECMA-262 writes them (JSON Schema's regex dialect) where .NET reads them differently, numbers compared exactly
/// (<c>minimum</c>, <c>maximum</c>, their exclusive forms, <c>uniqueItems</c>), string lengths counted in code points,
/// and with keywords of vocabularies a metaschema switches off kept as annotations, as the specification asks.
/// </summary>
public static class SchemaEngine
{
    private static readonly Dialect Draft202012 = Dialect.Draft202012.With(
        [
            new EcmaPatternKeyword(), new EcmaPatternPropertiesKeyword(), new ExactUniqueItemsKeyword(),
            new ExactMinimumKeyword(), new ExactMaximumKeyword(), new ExactExclusiveMinimumKeyword(), new ExactExclusiveMaximumKeyword(),
            new CodePointMinLengthKeyword(), new CodePointMaxLengthKeyword(),
        ],
        Dialect.Draft202012.Id,
        allowUnknownKeywords: true);

    /// <summary>
    /// The formats, for an evaluation that asserts them: <c>date-time</c> is RFC 3339's whole string (JsonSchema.Net's
    /// own let a trailing newline through); every other format is JsonSchema.Net's. The spec's 2020-12 schemas only
    /// annotate with format, so this matters to a schema whose metaschema asks for the format-assertion vocabulary.
    /// </summary>
    public static FormatRegistry Formats { get; } = CreateFormats();

    private static FormatRegistry CreateFormats()
    {
        var formats = new FormatRegistry();
        formats.Register(new PredicateFormat("date-time", value => value.ValueKind != JsonValueKind.String || Rfc3339.IsDateTime(value.GetString()!)));
        return formats;
    }

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

    // The bounds compare the numbers as written (JsonNumbers): JsonSchema.Net's own comparison read exponents into an
    // int that wrapped, so that 1e2147483648 passed maximum 90 and 1e-4294967206 failed it.
    private sealed class ExactMinimumKeyword : MinimumKeyword
    {
        public override KeywordEvaluation Evaluate(KeywordData keyword, EvaluationContext context) =>
            Bound(Name, keyword, context, static order => order >= 0, ErrorMessages.GetMinimum);
    }

    private sealed class ExactMaximumKeyword : MaximumKeyword
    {
        public override KeywordEvaluation Evaluate(KeywordData keyword, EvaluationContext context) =>
            Bound(Name, keyword, context, static order => order <= 0, ErrorMessages.GetMaximum);
    }

    private sealed class ExactExclusiveMinimumKeyword : ExclusiveMinimumKeyword
    {
        public override KeywordEvaluation Evaluate(KeywordData keyword, EvaluationContext context) =>
            Bound(Name, keyword, context, static order => order > 0, ErrorMessages.GetExclusiveMinimum);
    }

    private sealed class ExactExclusiveMaximumKeyword : ExclusiveMaximumKeyword
    {
        public override KeywordEvaluation Evaluate(KeywordData keyword, EvaluationContext context) =>
            Bound(Name, keyword, context, static order => order < 0, ErrorMessages.GetExclusiveMaximum);
    }

    private static KeywordEvaluation Bound(string name, KeywordData keyword, EvaluationContext context, Func<int, bool> holds, Func<CultureInfo?, string> message)
    {
        if (context.Instance.ValueKind != JsonValueKind.Number)
        {
            return KeywordEvaluation.Ignore;
        }
        return holds(JsonNumbers.Compare(JsonMarshal.GetRawUtf8Value(context.Instance), JsonMarshal.GetRawUtf8Value(keyword.RawValue)))
            ? new KeywordEvaluation { Keyword = name, IsValid = true }
            : new KeywordEvaluation
            {
                Keyword = name,
                IsValid = false,
                Error = message(context.Options.Culture).ReplaceToken("received", context.Instance).ReplaceToken("limit", keyword.RawValue),
            };
    }

    // Lengths in code points (2020-12 validation §6.3.1); JsonSchema.Net counted grapheme clusters, so that 40 flag
    // emoji (80 code points) passed maxLength 64.
    private sealed class CodePointMinLengthKeyword : MinLengthKeyword
    {
        public override KeywordEvaluation Evaluate(KeywordData keyword, EvaluationContext context) =>
            Length(Name, keyword, context, static (length, limit) => length >= limit, ErrorMessages.GetMinLength);
    }

    private sealed class CodePointMaxLengthKeyword : MaxLengthKeyword
    {
        public override KeywordEvaluation Evaluate(KeywordData keyword, EvaluationContext context) =>
            Length(Name, keyword, context, static (length, limit) => length <= limit, ErrorMessages.GetMaxLength);
    }

    private static KeywordEvaluation Length(string name, KeywordData keyword, EvaluationContext context, Func<long, long, bool> holds, Func<CultureInfo?, string> message)
    {
        if (context.Instance.ValueKind != JsonValueKind.String)
        {
            return KeywordEvaluation.Ignore;
        }
        var length = JsonText.CodePoints(context.Instance.GetString());
        var limit = (long)keyword.Value!;
        return holds(length, limit)
            ? new KeywordEvaluation { Keyword = name, IsValid = true }
            : new KeywordEvaluation { Keyword = name, IsValid = false, Error = message(context.Options.Culture).ReplaceToken("received", length).ReplaceToken("limit", limit) };
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

/// <summary>
/// Rewrites the ECMA-262 constructs .NET reads differently: Unicode property escapes by long name (<c>\p{Letter}</c>),
/// and <c>$</c>, which in ECMA-262 (without the m flag) matches only at the end of the input, where .NET's also matches
/// before a final newline, even with <see cref="RegexOptions.ECMAScript"/>: it becomes <c>\z</c>.
/// </summary>
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

    public static string Translate(string pattern) => EndAnchors(PropertyNames(pattern));

    private static string PropertyNames(string pattern) =>
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

    // An unescaped $ outside a character class is the anchor; escaped (\$) or in a class ([$]) it is a dollar sign.
    private static string EndAnchors(string pattern)
    {
        if (!pattern.Contains('$', StringComparison.Ordinal))
        {
            return pattern;
        }
        var translated = new StringBuilder(pattern.Length + 4);
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                translated.Append(c).Append(pattern[++i]);
                continue;
            }
            if (inClass)
            {
                inClass = c != ']';
            }
            else if (c == '[')
            {
                inClass = true;
            }
            else if (c == '$')
            {
                translated.Append("\\z");
                continue;
            }
            translated.Append(c);
        }
        return translated.ToString();
    }

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
                JsonNumbers.AppendKey(JsonMarshal.GetRawUtf8Value(element), key);
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
}
