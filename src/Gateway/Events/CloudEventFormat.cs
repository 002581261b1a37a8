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

    private const int KeptBufferSize = 64 * 1024;

    // Every event is rendered once; the buffer and writer it is rendered with are the thread's, kept between events,
    // so that a rendering allocates its result alone. An event larger than the buffer is meant to keep grows it once;
    // the thread lets go of such a buffer afterwards.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private static readonly byte[] OpenBracket = "["u8.ToArray();
    private static readonly byte[] Comma = ","u8.ToArray();
    private static readonly byte[] CloseBracket = "]"u8.ToArray();
    private static readonly byte[] EmptyArray = "[]"u8.ToArray();

    private readonly Dictionary<string, EventType> _types = spec.Events.Types.ToDictionary(t => t.Type, StringComparer.Ordinal);
    private readonly ConditionalWeakTable<OutboxEvent, Rendering> _renderings = [];

    // Made once: a lambda that uses this instance would otherwise be a new delegate for every event.
    private ConditionalWeakTable<OutboxEvent, Rendering>.CreateValueCallback? _render;

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

    /// <summary>
    /// The events as one JSON array of their structured forms (batched mode), as the pieces it is made of, in order: the
    /// shared renderings between brackets and commas. A batch is signed and sent piece by piece, never copied into one
    /// array: batches were the largest source of the hub's allocations (bench/README.md).
    /// </summary>
    public ReadOnlyMemory<byte>[] Batch(IReadOnlyList<OutboxEvent> events)
    {
        if (events.Count == 0)
        {
            return [EmptyArray];
        }
        var pieces = new ReadOnlyMemory<byte>[(2 * events.Count) + 1];
        pieces[0] = OpenBracket;
        for (var i = 0; i < events.Count; i++)
        {
            pieces[(2 * i) + 1] = Structured(events[i]);
            pieces[(2 * i) + 2] = i == events.Count - 1 ? CloseBracket : Comma;
        }
        return pieces;
    }

    public static string Id(OutboxEvent e) => e.Id.ToString(CultureInfo.InvariantCulture);

    public static string Time(OutboxEvent e) =>
        DateTimeOffset.FromUnixTimeMilliseconds(e.Time).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private Rendering RenderingOf(OutboxEvent e) => _renderings.GetValue(e, _render ??= e => new Rendering(AttributesOf(e)));

    // Sized once: the attributes of every event are made, so a list grown and copied into an array cost twice.
    private KeyValuePair<string, string>[] AttributesOf(OutboxEvent e)
    {
        var known = _types.TryGetValue(e.Type, out var type);
        var count = 6;
        if (known)
        {
            count++;
            foreach (var name in type!.Extensions)
            {
                count += Extension(e, name) is null ? 0 : 1;
            }
        }
        var attributes = new KeyValuePair<string, string>[count];
        attributes[0] = new("specversion", SpecVersion);
        attributes[1] = new("id", Id(e));
        attributes[2] = new("source", e.Source);
        attributes[3] = new("type", e.Type);
        attributes[4] = new("subject", e.Subject);
        attributes[5] = new("time", Time(e));
        if (known)
        {
            var at = 6;
            attributes[at++] = new("dataschema", type!.DataSchema.ToString());
            foreach (var name in type.Extensions)
            {
                if (Extension(e, name) is { } value)
                {
                    attributes[at++] = new(name, value);
                }
            }
        }
        return attributes;
    }

    private static byte[] Render(IEnumerable<KeyValuePair<string, string>> attributes, ReadOnlySequence<byte> data)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        try
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
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            if (buffer.Capacity > KeptBufferSize)
            {
                t_buffer = null;
                t_writer = null;
            }
        }
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
