using System.Globalization;
using System.Text;
using System.Text.Json;
using IntegrationHub.Client.Alerts;

namespace IntegrationHub.Client.Events;

/// <summary>
/// A CloudEvents 1.0 event as the hub delivers it (specs/events.json), whatever carried it: a webhook (binary,
/// structured or batched), a server-sent event or MQTT (a subscription's topic or a live topic). Every channel carries
/// the same event, and <see cref="Id"/> is stable across redeliveries and replays: de-duplicate by <see cref="Source"/>
/// and <see cref="Id"/>, across channels too. The hub's extension attributes (<c>organization</c>,
/// <c>district</c>, <c>domain</c>, <c>profile</c>, <c>level</c>) are in <see cref="Extensions"/> and have their own
/// properties; the data is typed with <see cref="AsObservation"/>, <see cref="AsAlert"/> or <see cref="AsWarning"/>.
/// </summary>
public sealed record CloudEvent(
    string Id, string Source, string Type, string SpecVersion, string? Subject, DateTimeOffset? Time, Uri? DataSchema, string? DataContentType,
    IReadOnlyDictionary<string, string> Extensions, JsonElement Data)
{
    public string? Organization => Extension("organization");

    public string? District => Extension("district");

    public string? Domain => Extension("domain");

    public string? Profile => Extension("profile");

    public string? Level => Extension("level");

    public bool IsObservation => Type == HubEventTypes.Observation;

    public bool IsAlert => HubEventTypes.IsAlert(Type);

    public bool IsWarning => Type == HubEventTypes.Warning;

    public string? Extension(string name) => Extensions.TryGetValue(name, out var value) ? value : null;

    /// <summary>The data as <typeparamref name="T"/>, read with the hub's JSON conventions.</summary>
    public T? DataAs<T>() => Data.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? default : Data.Deserialize<T>(HubJson.Options);

    /// <summary>An observation event's data; null for other types.</summary>
    public ObservationEvent? AsObservation() => IsObservation ? DataAs<ObservationEvent>() : null;

    /// <summary>An alert event's data (any transition); null for other types.</summary>
    public AlertEvent? AsAlert() => IsAlert ? DataAs<AlertEvent>() : null;

    /// <summary>An agency's warning: the CAP document's JSON projection; null for other types.</summary>
    public CapMessage? AsWarning() => IsWarning ? DataAs<CapMessage>() : null;

    /// <summary>Reads one structured-mode event (a JSON object with <c>specversion</c>, <c>id</c>, … and <c>data</c>).</summary>
    public static CloudEvent FromStructured(JsonElement envelope)
    {
        if (envelope.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("A structured CloudEvent is a JSON object.");
        }
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        var data = default(JsonElement);
        foreach (var member in envelope.EnumerateObject())
        {
            if (member.NameEquals("data"))
            {
                data = member.Value.Clone();
            }
            else if (member.NameEquals("data_base64"))
            {
                throw new FormatException("The hub's events carry JSON data, never data_base64.");
            }
            else if (member.Value.ValueKind == JsonValueKind.String)
            {
                attributes[member.Name] = member.Value.GetString()!;
            }
            else if (member.Value.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
            {
                attributes[member.Name] = member.Value.GetRawText();
            }
        }
        return FromAttributes(attributes, data);
    }

    /// <summary>Reads a batch (<c>application/cloudevents-batch+json</c>): a JSON array of structured events.</summary>
    public static IReadOnlyList<CloudEvent> FromBatch(JsonElement batch)
    {
        if (batch.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("A CloudEvents batch is a JSON array.");
        }
        var events = new List<CloudEvent>(batch.GetArrayLength());
        foreach (var item in batch.EnumerateArray())
        {
            events.Add(FromStructured(item));
        }
        return events;
    }

    /// <summary>
    /// Reads a binary-mode HTTP event: attributes from the <c>ce-</c> headers (percent-decoded, CloudEvents HTTP binding
    /// §3.1.3.2), the body as the data. <paramref name="headers"/> gives every header name and value.
    /// </summary>
    public static CloudEvent FromBinary(IEnumerable<KeyValuePair<string, string>> headers, string? contentType, ReadOnlySpan<byte> body)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in headers)
        {
            if (name.Length > 3 && name.StartsWith("ce-", StringComparison.OrdinalIgnoreCase))
            {
                attributes[name[3..].ToLowerInvariant()] = PercentDecode(value);
            }
        }
        if (contentType is not null)
        {
            attributes["datacontenttype"] = contentType;
        }
        JsonElement data = default;
        if (!body.IsEmpty)
        {
            var reader = new Utf8JsonReader(body);
            data = JsonElement.ParseValue(ref reader);
        }
        return FromAttributes(attributes, data);
    }

    /// <summary>
    /// Reads an event the hub published over MQTT, whichever mode carried it: MQTT 5 binary mode (the attributes are
    /// user properties under their plain names, without the <c>ce-</c> prefix, and the payload is the data) or
    /// structured mode (the payload is the whole event, <c>application/cloudevents+json</c>): always on MQTT 3.1.1, which
    /// has no properties, and on an external broker's live topics. Pass the message's user properties (none on 3.1.1),
    /// its Content Type property and its payload.
    /// </summary>
    public static CloudEvent FromMqtt(IEnumerable<KeyValuePair<string, string>>? userProperties, string? contentType, ReadOnlySpan<byte> payload)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in userProperties ?? [])
        {
            attributes[name] = value;
        }
        var reader = new Utf8JsonReader(payload);
        var content = JsonElement.ParseValue(ref reader);
        if (contentType?.StartsWith(CloudEventMediaTypes.Structured, StringComparison.OrdinalIgnoreCase) == true || !attributes.ContainsKey("specversion"))
        {
            return FromStructured(content);
        }
        if (contentType is not null)
        {
            attributes["datacontenttype"] = contentType;
        }
        return FromAttributes(attributes, content);
    }

    private static CloudEvent FromAttributes(Dictionary<string, string> attributes, JsonElement data)
    {
        string Required(string name) => attributes.Remove(name, out var value) && value.Length > 0
            ? value
            : throw new FormatException($"The CloudEvent has no '{name}' attribute.");
        var specVersion = Required("specversion");
        if (specVersion != "1.0")
        {
            throw new FormatException($"CloudEvents {specVersion} is not 1.0.");
        }
        var id = Required("id");
        var source = Required("source");
        var type = Required("type");
        attributes.Remove("subject", out var subject);
        DateTimeOffset? time = attributes.Remove("time", out var timeText)
            ? DateTimeOffset.Parse(timeText, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)
            : null;
        var schema = attributes.Remove("dataschema", out var schemaText) ? new Uri(schemaText, UriKind.RelativeOrAbsolute) : null;
        attributes.Remove("datacontenttype", out var dataContentType);
        return new CloudEvent(id, source, type, specVersion, subject, time, schema, dataContentType, attributes, data);
    }

    private static string PercentDecode(string value)
    {
        if (!value.Contains('%', StringComparison.Ordinal))
        {
            return value;
        }
        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length && byte.TryParse(value.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(value[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString([.. bytes]);
    }
}

/// <summary>The event types of specs/events.json. Types are versioned in their name: a breaking change gets a new <c>.vN</c> type.</summary>
public static class HubEventTypes
{
    public const string Observation = "city.integrationhub.observation.v1";
    public const string Warning = "city.integrationhub.warning.v1";

    /// <summary>The prefix of the alert transitions: <c>city.integrationhub.alert.{transition}.v1</c>.</summary>
    public const string AlertPrefix = "city.integrationhub.alert.";

    /// <summary>The type of an alert transition, e.g. <c>Alert("raised")</c>.</summary>
    public static string Alert(string transition) => $"{AlertPrefix}{transition}.v1";

    public static bool IsAlert(string type) => type.StartsWith(AlertPrefix, StringComparison.Ordinal);
}

/// <summary>Media types of the hub's CloudEvents over HTTP and MQTT.</summary>
public static class CloudEventMediaTypes
{
    public const string Structured = "application/cloudevents+json";
    public const string Batch = "application/cloudevents-batch+json";
}
