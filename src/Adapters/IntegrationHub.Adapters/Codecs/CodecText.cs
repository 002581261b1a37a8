using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace IntegrationHub.Adapters.Codecs;

/// <summary>
/// A value's text as a payload held it. Text that is not Unicode (bytes that are not UTF-8, a lone surrogate escape)
/// cannot be read as a string; a codec keeps it as the JSON string token that carries it, unchanged, so that it travels
/// on into its canonical message, where the validator rejects that message alone and points at it.
/// </summary>
internal readonly struct CodecText
{
    private readonly string? _text;
    private readonly byte[]? _token;

    private CodecText(string? text, byte[]? token) => (_text, _token) = (text, token);

    /// <summary>The string; null when the text is not Unicode.</summary>
    public string? Text => _text;

    public bool IsEmpty => _text is { Length: 0 };

    public static implicit operator CodecText(string text) => new(text, null);

    public static CodecText? From(string? text) => text is null ? default(CodecText?) : new CodecText(text, null);

    /// <summary>A JSON string's text, or its token as written when reading it would throw.</summary>
    public static CodecText Read(JsonElement element)
    {
        try
        {
            return new CodecText(element.GetString()!, null);
        }
        catch (InvalidOperationException)
        {
            return new CodecText(null, JsonMarshal.GetRawUtf8Value(element).ToArray());
        }
    }

    /// <summary>UTF-8 bytes with surrounding white space trimmed; bytes that are not UTF-8 become a JSON string token holding them.</summary>
    public static CodecText Trimmed(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes))
        {
            return new CodecText(Encoding.UTF8.GetString(bytes).Trim(), null);
        }
        bytes = bytes.Trim(" \t"u8);
        var token = new List<byte>(bytes.Length + 2) { (byte)'"' };
        foreach (var b in bytes)
        {
            if (b is (byte)'"' or (byte)'\\')
            {
                token.Add((byte)'\\');
                token.Add(b);
            }
            else if (b < 0x20)
            {
                token.AddRange(Encoding.ASCII.GetBytes($"\\u{b:x4}"));
            }
            else
            {
                token.Add(b);
            }
        }
        token.Add((byte)'"');
        return new CodecText(null, [.. token]);
    }

    public void WriteTo(Utf8JsonWriter writer)
    {
        if (_text is not null)
        {
            writer.WriteStringValue(_text);
        }
        else
        {
            writer.WriteRawValue(_token, skipInputValidation: true);
        }
    }
}
