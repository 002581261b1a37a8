using System.Text;
using System.Text.Unicode;

namespace IntegrationHub.Gateway.Ingestion;

/// <summary>Input the hub rejected, kept with its reasons so the sender can see what to fix.</summary>
internal sealed class QuarantineEntry
{
    public long Id { get; init; }
    public required string OrganizationId { get; init; }
    public required string AdapterId { get; init; }
    public required long ReceivedAt { get; init; }
    public string? MessageId { get; init; }
    public string? DeviceId { get; init; }

    /// <summary>The findings as a JSON array of {code, pointer, detail}.</summary>
    public required string Errors { get; init; }

    /// <summary>What was sent, as text, truncated to <see cref="MaxPayloadChars"/>; bytes that are not UTF-8, and NUL, read as U+FFFD.</summary>
    public required string Payload { get; init; }

    /// <summary>What was sent, byte for byte, when it was not UTF-8 text or held NUL (null otherwise); truncated to <see cref="MaxPayloadChars"/> bytes.</summary>
    public byte[]? PayloadBytes { get; init; }

    public required bool PayloadTruncated { get; init; }

    public const int MaxPayloadChars = 16 * 1024;
}

/// <summary>What the quarantine keeps of a payload: its text, and its bytes as well when they are not UTF-8, both bounded.</summary>
internal readonly record struct KeptPayload(string Text, byte[]? Bytes, bool Truncated)
{
    public static KeptPayload Of(ReadOnlySpan<byte> payload)
    {
        // Text for reading: invalid sequences become U+FFFD, and so does NUL, which no database's text need hold. The
        // bytes, kept beside it, are what the sender must fix.
        var text = Encoding.UTF8.GetString(payload);
        var bytes = Utf8.IsValid(payload) && !payload.Contains((byte)0) ? null : payload[..Math.Min(payload.Length, QuarantineEntry.MaxPayloadChars)].ToArray();
        text = text.Replace('\0', '\uFFFD');
        var truncated = text.Length > QuarantineEntry.MaxPayloadChars || (bytes is not null && bytes.Length < payload.Length);
        if (text.Length > QuarantineEntry.MaxPayloadChars)
        {
            // Cut between characters: half a surrogate pair is not text either.
            var end = char.IsHighSurrogate(text[QuarantineEntry.MaxPayloadChars - 1]) ? QuarantineEntry.MaxPayloadChars - 1 : QuarantineEntry.MaxPayloadChars;
            text = text[..end];
        }
        return new KeptPayload(text, bytes, truncated);
    }
}
