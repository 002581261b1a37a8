using System.Text.Json;

namespace IntegrationHub.Conformance.Profiles;

/// <summary>
/// Writes a profile's checks as a JSON Schema of its own (PROF-005): the telemetry-message schema plus the metric names, kinds,
/// units, valid ranges in every accepted unit, device states and one value per metric. The files are checked in under
/// <c>specs/message-schemas/</c> (a test keeps them equal to this output) so that any JSON Schema 2020-12 validator
/// reaches the hub's verdict on a message without the hub's code. Two checks stay outside: the receiver's clock
/// (<c>time.in-future</c>) and the device registry. Conversions that use site parameters use the profile's defaults.
/// </summary>
public static class MessageSchemaGenerator
{
    public const string Folder = "message-schemas";

    public static string PathOf(string profileId) => $"{Folder}/{profileId}.schema.json";

    public static byte[] Generate(CompiledProfile profile)
    {
        var definition = profile.Definition;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("$schema", "https://json-schema.org/draft/2020-12/schema");
            json.WriteString("$id", $"https://integrationhub.example/specs/v1/{PathOf(definition.Id)}");
            json.WriteString("title", $"Telemetry message of profile {definition.Id} {definition.Version}");
            json.WriteString("description",
                $"Generated from profiles/{definition.Id}.json; do not edit. The telemetry-message schema plus the checks the profile adds: " +
                "metric names, value kinds, units, valid ranges in every accepted unit (conversions use the profile's default site parameters), " +
                "device states and one value per metric. Not expressible here: a time too far ahead of the receiver's clock (time.in-future) and the device registry.");
            json.WriteStartArray("allOf");
            json.WriteStartObject();
            json.WriteString("$ref", "../schemas/telemetry-message.schema.json");
            json.WriteEndObject();
            json.WriteEndArray();

            json.WriteStartObject("properties");
            json.WriteStartObject("profile");
            json.WriteString("const", definition.Id);
            json.WriteEndObject();
            json.WriteStartObject("observations");
            json.WriteStartObject("items");
            json.WriteString("$ref", "#/$defs/observation");
            json.WriteEndObject();
            json.WriteStartArray("allOf");
            foreach (var name in definition.Metrics.Keys)
            {
                // metric.repeated: at most one observation per metric.
                json.WriteStartObject();
                json.WriteStartObject("contains");
                WriteMetricIs(json, name);
                json.WriteEndObject();
                json.WriteNumber("minContains", 0);
                json.WriteNumber("maxContains", 1);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartObject("status");
            json.WriteStartObject("properties");
            json.WriteStartObject("state");
            WriteEnum(json, definition.States.Keys);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();

            json.WriteStartObject("$defs");
            json.WriteStartObject("observation");
            json.WriteStartObject("properties");
            json.WriteStartObject("metric");
            WriteEnum(json, definition.Metrics.Keys);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartArray("allOf");
            foreach (var name in definition.Metrics.Keys)
            {
                json.WriteStartObject();
                json.WriteStartObject("if");
                WriteMetricIs(json, name);
                json.WriteEndObject();
                json.WriteStartObject("then");
                json.WriteString("$ref", "#/$defs/metric." + name);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
            foreach (var (name, metric) in definition.Metrics)
            {
                json.WriteStartObject("metric." + name);
                json.WriteString("title", metric.Title);
                WriteMetric(json, profile.Metrics[name], profile.DefaultParameters);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteMetric(Utf8JsonWriter json, CompiledMetric metric, ParameterSet parameters)
    {
        var definition = metric.Definition;
        if (metric.Kind == MetricKind.Quantity)
        {
            json.WriteStartArray("required");
            json.WriteStringValue("unit");
            json.WriteEndArray();
            json.WriteStartObject("properties");
            json.WriteStartObject("value");
            json.WriteString("type", "number");
            json.WriteEndObject();
            json.WriteStartObject("unit");
            WriteEnum(json, Units(definition));
            json.WriteEndObject();
            json.WriteEndObject();
            if (definition.Range is not { } range)
            {
                return;
            }
            json.WriteStartArray("allOf");
            foreach (var unit in Units(definition))
            {
                if (!TryRangeIn(metric, unit, range, parameters, out var min, out var max))
                {
                    continue;
                }
                json.WriteStartObject();
                json.WriteStartObject("if");
                json.WriteStartObject("properties");
                json.WriteStartObject("unit");
                json.WriteString("const", unit);
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteStartObject("then");
                json.WriteStartObject("properties");
                json.WriteStartObject("value");
                json.WriteNumber("minimum", min);
                json.WriteNumber("maximum", max);
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            return;
        }

        json.WriteStartObject("properties");
        json.WriteStartObject("value");
        switch (metric.Kind)
        {
            case MetricKind.Flag:
                json.WriteString("type", "boolean");
                break;
            case MetricKind.State:
                WriteEnum(json, definition.Values);
                break;
            case MetricKind.Bitfield:
                json.WriteString("type", "integer");
                json.WriteNumber("minimum", 0);
                json.WriteNumber("maximum", (1UL << definition.Bits!.Value) - 1);
                break;
        }
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteStartObject("not");
        json.WriteStartArray("required");
        json.WriteStringValue("unit");
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The valid range expressed in an accepted unit: the inverse of <c>canonical = (value + offset) × multiplyBy ÷ divideBy</c>.</summary>
    private static bool TryRangeIn(CompiledMetric metric, string unit, ValueRange range, ParameterSet parameters, out double min, out double max)
    {
        min = range.Min;
        max = range.Max;
        if (unit == metric.Unit)
        {
            return true;
        }
        var conversion = metric.Definition.Alternatives.Single(a => a.Unit == unit);
        if (conversion.MultiplyBy.Resolve(parameters) is not { } multiply || conversion.DivideBy.Resolve(parameters) is not { } divide || multiply <= 0 || divide <= 0)
        {
            return false;
        }
        min = Round(range.Min * divide / multiply - conversion.Offset);
        max = Round(range.Max * divide / multiply - conversion.Offset);
        return true;
    }

    // The hub rounds converted values to twelve significant digits; the bounds get the same treatment.
    private static double Round(double value) => CompiledMetric.RoundToSignificant(value);

    // In the profile's order, so that the generated file does not depend on how a dictionary enumerates.
    private static IEnumerable<string> Units(MetricDefinition metric) => metric.Alternatives.Select(a => a.Unit).Prepend(metric.Unit!);

    private static void WriteMetricIs(Utf8JsonWriter json, string name)
    {
        json.WriteStartArray("required");
        json.WriteStringValue("metric");
        json.WriteEndArray();
        json.WriteStartObject("properties");
        json.WriteStartObject("metric");
        json.WriteString("const", name);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteEnum(Utf8JsonWriter json, IEnumerable<string> values)
    {
        json.WriteStartArray("enum");
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }
        json.WriteEndArray();
    }
}
