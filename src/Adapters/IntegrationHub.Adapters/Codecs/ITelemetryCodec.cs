using System.Text.Json;

namespace IntegrationHub.Adapters.Codecs;

/// <summary>
/// Turns an inbound payload into canonical telemetry JSON (specs/schemas/telemetry-batch.schema.json). Codecs are named
/// strategies: the Gateway picks one by media type, or by an adapter's configuration, and validates what it returns
/// exactly as it validates canonical JSON, so a codec never weakens the spec. A codec translates faithfully and leaves
/// judging to the validator: a value it cannot make sense of travels on, and the validator rejects its message.
/// </summary>
public interface ITelemetryCodec
{
    /// <summary>The codec's unique name, e.g. <c>canonical-json</c>.</summary>
    string Name { get; }

    /// <summary>The media types the codec reads, lower-case, without parameters.</summary>
    IReadOnlyList<string> MediaTypes { get; }

    /// <summary>
    /// Decodes a payload into a canonical batch document. Throws <see cref="JsonException"/> when a JSON payload is not
    /// well-formed JSON, and <see cref="CodecException"/> when the payload is not well-formed in the codec's format.
    /// </summary>
    JsonDocument Decode(ReadOnlyMemory<byte> payload, CodecContext context);
}

/// <summary>What a codec knows besides the payload.</summary>
public sealed record CodecContext
{
    public static CodecContext Empty { get; } = new();

    /// <summary>
    /// The profile for messages whose format cannot name one (SenML, most vendor exports): the media type's
    /// <c>profile</c> parameter, else the sending adapter's only allowed profile.
    /// </summary>
    public string? Profile { get; init; }
}

/// <summary>The payload is not well-formed in the codec's format; the message says where and why.</summary>
public sealed class CodecException : FormatException
{
    public CodecException()
    {
    }

    public CodecException(string message)
        : base(message)
    {
    }

    public CodecException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The spec's own format: canonical JSON, passed through untouched.</summary>
public sealed class CanonicalJsonCodec : ITelemetryCodec
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 32 };

    public string Name => "canonical-json";

    public IReadOnlyList<string> MediaTypes { get; } = ["application/json"];

    public JsonDocument Decode(ReadOnlyMemory<byte> payload, CodecContext context) => JsonDocument.Parse(payload, Options);
}
