using System.Collections.Frozen;

namespace IntegrationHub.Adapters.Codecs;

/// <summary>The codecs by name and by media type. Two codecs with one name or one media type fail at start.</summary>
public sealed class CodecRegistry
{
    private readonly FrozenDictionary<string, ITelemetryCodec> _byMediaType;

    public CodecRegistry(IEnumerable<ITelemetryCodec> codecs)
    {
        var list = codecs.ToList();
        var duplicateName = list.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicateName is not null)
        {
            throw new InvalidOperationException($"Two telemetry codecs are named '{duplicateName.Key}'.");
        }
        var byMediaType = new Dictionary<string, ITelemetryCodec>(StringComparer.OrdinalIgnoreCase);
        foreach (var codec in list)
        {
            foreach (var mediaType in codec.MediaTypes)
            {
                if (!byMediaType.TryAdd(mediaType, codec))
                {
                    throw new InvalidOperationException($"Codecs '{byMediaType[mediaType].Name}' and '{codec.Name}' both claim '{mediaType}'.");
                }
            }
        }
        ByName = list.ToFrozenDictionary(c => c.Name, StringComparer.Ordinal);
        _byMediaType = byMediaType.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    public FrozenDictionary<string, ITelemetryCodec> ByName { get; }

    public IEnumerable<string> MediaTypes => _byMediaType.Keys;

    /// <summary>The codec for a Content-Type header value (parameters such as charset ignored).</summary>
    public ITelemetryCodec? ForContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return null;
        }
        var separator = contentType.IndexOf(';', StringComparison.Ordinal);
        var mediaType = (separator < 0 ? contentType : contentType[..separator]).Trim();
        return _byMediaType.GetValueOrDefault(mediaType);
    }
}
