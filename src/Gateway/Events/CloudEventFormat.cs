using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Gateway.Events;

/// <summary>
/// An outbox event as a CloudEvents 1.0 event (EVT-001): its attributes, with the extension attributes events.json
/// lists for its type, and its data. Every channel renders events through here, so a webhook, a server-sent event and an
/// MQTT message of the same event carry the same id and attributes (DESIGN §6: events are rendered once). The rendering
/// is made once per event and shared: the outbox reader hands the same event to every lane and stream, so a thousand
/// subscribers cost one rendering, and a batch is the renderings of its events side by side.
/// </summary>
internal sealed class CloudEventFormat(SpecCatalog spec)
{
    public const string SpecVersion = "1.0";
    public const string StructuredMediaType = "application/cloudevents+json";
    public const string BatchMediaType = "application/cloudevents-batch+json";
    public const string DataMediaType = "application/json";

    private readonly Dictionary<string, EventType> _types = spec.Events.Types.ToDictionary(t => t.Type, StringComparer.Ordinal);
    private readonly ConditionalWeakTable<OutboxEvent, Rendering> _renderings = [];

    /// <summary>What is rendered of an event, once.</summary>
    private sealed class Rendering(KeyValuePair<string, string>[] attributes)
    {
        private byte[]? _structured;

        public KeyValuePair<string, string>[] Attributes { get; } = attributes;

        // Two channels asking at once may both render it: the same bytes, and one of them is kept.
        public byte[] Structured(OutboxEvent e) => _structured ??= Render(Attributes, new ReadOnlySequence<byte>(e.Data));
    }

    /// <summary>The event's attributes under their plain names (binary modes prefix them: <c>ce-</c> for HTTP, none for MQTT 5).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Attributes(OutboxEvent e) => RenderingOf(e).Attributes;

    /// <summary>The whole event as one JSON object (structured mode), in UTF-8. The same array for every caller: do not change it.</summary>
    public byte[] Structured(OutboxEvent e) => RenderingOf(e).Structured(e);

    /// <summary>
    /// The structured form of an event in binary mode, from its attributes and data as they travel: the MQTT broker
    /// turns a binary-mode message into this for a receiver that cannot take properties (MQTT 3.1.1). The same
    /// attributes in the same order give the same JSON as <see cref="Structured(OutboxEvent)"/>.
    /// </summary>
    public static byte[] Structured(IEnumerable<KeyValuePair<string, string>> attributes, ReadOnlySequence<byte> data) => Render(attributes, data);

    /// <summary>The events as one JSON array of their structured forms (batched mode).</summary>
    public byte[] Batch(IReadOnlyList<OutboxEvent> events)
    {
        var parts = new byte[events.Count][];
        var length = 2 + Math.Max(0, events.Count - 1);
        for (var i = 0; i < events.Count; i++)
        {
            parts[i] = Structured(events[i]);
            length += parts[i].Length;
        }
        var batch = new byte[length];
        batch[0] = (byte)'[';
        var at = 1;
        for (var i = 0; i < parts.Length; i++)
        {
            if (i > 0)
            {
                batch[at++] = (byte)',';
            }
            parts[i].CopyTo(batch, at);
            at += parts[i].Length;
        }
        batch[at] = (byte)']';
        return batch;
    }

    public static string Id(OutboxEvent e) => e.Id.ToString(CultureInfo.InvariantCulture);

    public static string Time(OutboxEvent e) =>
        DateTimeOffset.FromUnixTimeMilliseconds(e.Time).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private Rendering RenderingOf(OutboxEvent e) => _renderings.GetValue(e, e => new Rendering(AttributesOf(e)));

    private KeyValuePair<string, string>[] AttributesOf(OutboxEvent e)
    {
        var attributes = new List<KeyValuePair<string, string>>(12)
        {
            new("specversion", SpecVersion),
            new("id", Id(e)),
            new("source", e.Source),
            new("type", e.Type),
            new("subject", e.Subject),
            new("time", Time(e)),
        };
        if (_types.TryGetValue(e.Type, out var type))
        {
            attributes.Add(new("dataschema", type.DataSchema.ToString()));
            foreach (var name in type.Extensions)
            {
                if (Extension(e, name) is { } value)
                {
                    attributes.Add(new(name, value));
                }
            }
        }
        return [.. attributes];
    }

    private static byte[] Render(IEnumerable<KeyValuePair<string, string>> attributes, ReadOnlySequence<byte> data)
    {
        var buffer = new ArrayBufferWriter<byte>((int)data.Length + 512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in attributes)
            {
                writer.WriteString(name, value);
            }
            writer.WriteString("datacontenttype", DataMediaType);
            writer.WritePropertyName("data");
            writer.WriteRawValue(data, skipInputValidation: true);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static string? Extension(OutboxEvent e, string name) => name switch
    {
        "organization" => e.OrganizationId,
        "district" => e.District,
        "domain" => e.Domain,
        "profile" => e.Profile,
        "level" => e.Level,
        _ => null,
    };
}
