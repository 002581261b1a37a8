using System.Buffers.Text;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;
using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Conformance.Validation;

/// <summary>
/// Reads text out of JSON that may not hold any. System.Text.Json parses a string without checking that it is Unicode:
/// bytes that are not UTF-8 (<c>FF FE</c>) and the escape of a lone surrogate (<c>"\ud800"</c>) pass the parser, and only
/// reading the string throws (<c>GetString</c>, a member's name, a schema keyword, even <c>TryGetProperty</c> past such a
/// name). JSON text must be UTF-8 (RFC 8259 §8.1) and its strings must not escape lone surrogates (RFC 7493 §2.1), so a
/// message holding either is checked for it before anything reads it, and rejected alone; a duplicate member name is
/// ambiguous (parsers disagree which copy counts, RFC 7493 §2.3) and is rejected the same way.
/// </summary>
public static class JsonText
{
    /// <summary>Objects up to this size are checked for duplicate names pairwise, without allocating.</summary>
    private const int PairwiseLimit = 16;

    /// <summary>Whether every string and member name below <paramref name="element"/> is Unicode text and no object repeats a name.</summary>
    public static bool IsWellFormed(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return IsText(element);
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (!IsWellFormed(item))
                    {
                        return false;
                    }
                }
                return true;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!IsText(property) || !IsWellFormed(property.Value))
                    {
                        return false;
                    }
                }
                return !RepeatsAName(element);
            default:
                return true;
        }
    }

    /// <summary>
    /// A finding for every string that is not Unicode text (pointing at it), every member name that is not (pointing at
    /// its object, since the name cannot be written into a pointer) and every name an object repeats (pointing at it).
    /// </summary>
    public static void Collect(JsonElement element, string pointer, List<Finding> findings)
    {
        ArgumentNullException.ThrowIfNull(findings);
        switch (element.ValueKind)
        {
            case JsonValueKind.String when !IsText(element):
                findings.Add(new Finding(ErrorCodes.InvalidText, pointer, "The string is not Unicode text: it holds bytes that are not UTF-8, or a lone surrogate escape (\\ud800 to \\udfff without its pair)."));
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, pointer + "/" + index.ToString(CultureInfo.InvariantCulture), findings);
                    index++;
                }
                break;
            case JsonValueKind.Object:
                HashSet<string>? seen = null;
                foreach (var property in element.EnumerateObject())
                {
                    if (!IsText(property))
                    {
                        findings.Add(new Finding(ErrorCodes.InvalidText, pointer, "A member name of this object is not Unicode text: it holds bytes that are not UTF-8, or a lone surrogate escape."));
                        continue;
                    }
                    var member = pointer + "/" + JsonPointers.Escape(property.Name);
                    if (!(seen ??= new HashSet<string>(StringComparer.Ordinal)).Add(property.Name))
                    {
                        findings.Add(new Finding(ErrorCodes.DuplicateMember, member, $"'{property.Name}' appears more than once in this object."));
                    }
                    Collect(property.Value, member, findings);
                }
                break;
        }
    }

    /// <summary>
    /// A string member's value; null when <paramref name="element"/> is no object, lacks the member, or its value is no
    /// string or not Unicode text. Where a name repeats, the last copy counts, as in <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/>.
    /// </summary>
    public static string? ReadString(JsonElement element, ReadOnlySpan<byte> utf8Name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        JsonElement? found = null;
        foreach (var property in element.EnumerateObject())
        {
            if (NameIs(property, utf8Name))
            {
                found = property.Value;
            }
        }
        return found is { ValueKind: JsonValueKind.String } value && IsText(value) ? value.GetString() : null;
    }

    /// <summary>Whether a member's name is <paramref name="utf8Name"/>, without reading a name that is not text.</summary>
    public static bool NameIs(JsonProperty property, ReadOnlySpan<byte> utf8Name)
    {
        // Compared as written; a name spelled with escapes is compared unescaped, once it is known to be text.
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        return raw.SequenceEqual(utf8Name) || (raw.Contains((byte)'\\') && IsText(raw) && property.NameEquals(utf8Name));
    }

    /// <summary>
    /// A string's length as JSON Schema measures it (2020-12 validation §6.3.1): its Unicode code points, so that a
    /// character beyond the BMP counts once (not as its two UTF-16 units) and a base letter with its combining accent
    /// twice (not as one grapheme cluster). A lone surrogate, which text never holds, would count once.
    /// </summary>
    public static int CodePoints(ReadOnlySpan<char> text)
    {
        var pairs = 0;
        for (var i = 1; i < text.Length; i++)
        {
            if (char.IsLowSurrogate(text[i]) && char.IsHighSurrogate(text[i - 1]))
            {
                pairs++;
            }
        }
        return text.Length - pairs;
    }

    /// <summary>Whether a member's name is Unicode text, so that reading it cannot throw.</summary>
    public static bool IsText(JsonProperty property) => IsText(JsonMarshal.GetRawUtf8PropertyName(property));

    /// <summary>Whether a string element is Unicode text, so that reading it cannot throw.</summary>
    public static bool IsText(JsonElement element) => element.ValueKind == JsonValueKind.String && IsText(JsonMarshal.GetRawUtf8Value(element)[1..^1]);

    /// <summary>Whether a string's bytes as written (without the quotes, escapes not yet applied) are UTF-8 whose escapes pair every surrogate.</summary>
    private static bool IsText(ReadOnlySpan<byte> raw)
    {
        if (!Utf8.IsValid(raw))
        {
            return false;
        }
        // The parser checked the escapes' syntax: a backslash is followed by one of "\/bfnrt or by u and four hex digits.
        var at = raw.IndexOf((byte)'\\');
        while (at >= 0)
        {
            var next = at + 2;
            if (raw[at + 1] == (byte)'u')
            {
                var unit = CodeUnit(raw, at);
                if (char.IsLowSurrogate(unit))
                {
                    return false;
                }
                next = at + 6;
                if (char.IsHighSurrogate(unit))
                {
                    if (raw.Length < at + 12 || raw[at + 6] != (byte)'\\' || raw[at + 7] != (byte)'u' || !char.IsLowSurrogate(CodeUnit(raw, at + 6)))
                    {
                        return false;
                    }
                    next = at + 12;
                }
            }
            var rest = raw[next..].IndexOf((byte)'\\');
            at = rest < 0 ? -1 : next + rest;
        }
        return true;

        static char CodeUnit(ReadOnlySpan<byte> raw, int escape) =>
            Utf8Parser.TryParse(raw.Slice(escape + 2, 4), out ushort value, out _, 'X') ? (char)value : '\0';
    }

    private static bool RepeatsAName(JsonElement element)
    {
        var count = element.GetPropertyCount();
        if (count < 2)
        {
            return false;
        }
        if (count > PairwiseLimit)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in element.EnumerateObject())
            {
                if (!names.Add(property.Name))
                {
                    return true;
                }
            }
            return false;
        }
        var i = 0;
        foreach (var property in element.EnumerateObject())
        {
            var j = 0;
            foreach (var other in element.EnumerateObject())
            {
                if (j++ >= i)
                {
                    break;
                }
                if (SameName(property, other))
                {
                    return true;
                }
            }
            i++;
        }
        return false;
    }

    // Names are text here (checked first); one spelled with escapes is compared unescaped.
    private static bool SameName(JsonProperty a, JsonProperty b)
    {
        var rawA = JsonMarshal.GetRawUtf8PropertyName(a);
        var rawB = JsonMarshal.GetRawUtf8PropertyName(b);
        return rawA.SequenceEqual(rawB)
            || ((rawA.Contains((byte)'\\') || rawB.Contains((byte)'\\')) && a.NameEquals(b.Name));
    }
}
