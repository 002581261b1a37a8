using System.Buffers;
using System.Globalization;
using System.Text.Json;
using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Gateway.Events;

/// <summary>
/// An outbox event as a CloudEvents 1.0 event (EVT-001): its attributes, with the extension attributes events.json
/// lists for its type, and its data. Every channel renders events through here, so a webhook, a server-sent event and an
/// MQTT message of the same event carry the same id and attributes (DESIGN §6: events are rendered once).
/// </summary>
internal sealed class CloudEventFormat(SpecCatalog spec)
{
    public const string SpecVersion = "1.0";
    public const string StructuredMediaType = "application/cloudevents+json";
    public const string BatchMediaType = "application/cloudevents-batch+json";
    public const string DataMediaType = "application/json";

    private readonly Dictionary<string, EventType> _types = spec.Events.Types.ToDictionary(t => t.Type, StringComparer.Ordinal);

    /// <summary>The event's attributes under their plain names (binary modes prefix them: <c>ce-</c> for HTTP, none for MQTT 5).</summary>
    public IEnumerable<KeyValuePair<string, string>> Attributes(OutboxEvent e)
    {
        yield return new("specversion", SpecVersion);
        yield return new("id", Id(e));
        yield return new("source", e.Source);
        yield return new("type", e.Type);
        yield return new("subject", e.Subject);
        yield return new("time", Time(e));
        if (_types.TryGetValue(e.Type, out var type))
        {
            yield return new("dataschema", type.DataSchema.ToString());
            foreach (var name in type.Extensions)
            {
                if (Extension(e, name) is { } value)
                {
                    yield return new(name, value);
                }
            }
        }
    }

    /// <summary>The whole event as one JSON object (structured mode; batches are arrays of these).</summary>
    public void WriteStructured(Utf8JsonWriter writer, OutboxEvent e)
    {
        WriteEnvelope(writer, Attributes(e));
        writer.WriteRawValue(e.Data, skipInputValidation: true);
        writer.WriteEndObject();
    }

    /// <summary>
    /// The structured form of an event in binary mode, from its attributes and data as they travel: the MQTT broker
    /// turns a binary-mode message into this for a receiver that cannot take properties (MQTT 3.1.1). The same
    /// attributes in the same order give the same JSON as <see cref="Structured(OutboxEvent)"/>.
    /// </summary>
    public static byte[] Structured(IEnumerable<KeyValuePair<string, string>> attributes, ReadOnlySequence<byte> data)
    {
        var buffer = new ArrayBufferWriter<byte>((int)data.Length + 512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteEnvelope(writer, attributes);
            writer.WriteRawValue(data, skipInputValidation: true);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    // Opens the event's object and writes everything up to the data's value, which the caller writes before closing it.
    private static void WriteEnvelope(Utf8JsonWriter writer, IEnumerable<KeyValuePair<string, string>> attributes)
    {
        writer.WriteStartObject();
        foreach (var (name, value) in attributes)
        {
            writer.WriteString(name, value);
        }
        writer.WriteString("datacontenttype", DataMediaType);
        writer.WritePropertyName("data");
    }

    public byte[] Structured(OutboxEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(e.Data.Length + 512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteStructured(writer, e);
        }
        return buffer.WrittenSpan.ToArray();
    }

    public byte[] Batch(IReadOnlyList<OutboxEvent> events)
    {
        var buffer = new ArrayBufferWriter<byte>(events.Sum(e => e.Data.Length + 512));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var e in events)
            {
                WriteStructured(writer, e);
            }
            writer.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static string Id(OutboxEvent e) => e.Id.ToString(CultureInfo.InvariantCulture);

    public static string Time(OutboxEvent e) =>
        DateTimeOffset.FromUnixTimeMilliseconds(e.Time).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

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
