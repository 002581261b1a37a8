using System.Text.Json;

namespace IntegrationHub.Adapters.Codecs;

/// <summary>
/// Turns an inbound payload into canonical telemetry JSON (specs/schemas/telemetry-batch.schema.json). Codecs are named
/// strategies: the Gateway picks one by media type, or by an adapter's configuration, and validates what it returns
/// exactly as it validates canonical JSON, so a codec never weakens the spec.
/// </summary>
public interface ITelemetryCodec
{
    /// <summary>The codec's unique name, e.g. <c>canonical-json</c>.</summary>
    string Name { get; }

    /// <summary>The media types the codec reads, lower-case, without parameters.</summary>
    IReadOnlyList<string> MediaTypes { get; }

    /// <summary>
    /// Decodes a payload into a canonical batch document. Throws <see cref="JsonException"/> when the payload is not
    /// well-formed in the codec's format.
    /// </summary>
    JsonDocument Decode(ReadOnlyMemory<byte> payload);
}

/// <summary>The spec's own format: canonical JSON, passed through untouched.</summary>
public sealed class CanonicalJsonCodec : ITelemetryCodec
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 32 };

    public string Name => "canonical-json";

    public IReadOnlyList<string> MediaTypes { get; } = ["application/json"];

    public JsonDocument Decode(ReadOnlyMemory<byte> payload) => JsonDocument.Parse(payload, Options);
}
