using System.Text.Json;
using System.Text.Json.Serialization;

namespace IntegrationHub.Conformance.Profiles;

/// <summary>
/// A number in a profile: a literal, or a site parameter times a factor (<c>{"param": "o2Low", "factor": 1}</c>).
/// Profiles never hold expression strings; this is the only indirection they have.
/// </summary>
[JsonConverter(typeof(ParamNumberConverter))]
public readonly record struct ParamNumber
{
    public static readonly ParamNumber One = Literal(1);

    private ParamNumber(double? value, string? parameter, double factor)
    {
        LiteralValue = value;
        Parameter = parameter;
        Factor = factor;
    }

    public double? LiteralValue { get; }
    public string? Parameter { get; }
    public double Factor { get; }

    public static ParamNumber Literal(double value) => new(value, null, 1);

    public static ParamNumber Of(string parameter, double factor = 1) => new(null, parameter, factor);

    /// <summary>The value for a device, or null when it uses a parameter that has neither a site value nor a default.</summary>
    public double? Resolve(ParameterSet parameters) =>
        Parameter is null ? LiteralValue : parameters.TryGet(Parameter, out var value) ? value * Factor : null;

    public override string ToString() =>
        Parameter is null ? LiteralValue!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : Factor == 1 ? Parameter : $"{Factor.ToString(System.Globalization.CultureInfo.InvariantCulture)} × {Parameter}";
}

internal sealed class ParamNumberConverter : JsonConverter<ParamNumber>
{
    public override ParamNumber Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return ParamNumber.Literal(reader.GetDouble());
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("Expected a number or {\"param\": …, \"factor\": …}.");
        }
        string? parameter = null;
        double factor = 1;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "param": parameter = reader.GetString(); break;
                case "factor": factor = reader.GetDouble(); break;
                default: throw new JsonException($"Unknown member '{name}' in a parameter reference.");
            }
        }
        return ParamNumber.Of(parameter ?? throw new JsonException("A parameter reference needs 'param'."), factor);
    }

    public override void Write(Utf8JsonWriter writer, ParamNumber value, JsonSerializerOptions options)
    {
        if (value.Parameter is null)
        {
            writer.WriteNumberValue(value.LiteralValue!.Value);
            return;
        }
        writer.WriteStartObject();
        writer.WriteString("param", value.Parameter);
        writer.WriteNumber("factor", value.Factor);
        writer.WriteEndObject();
    }
}

/// <summary>ISO 8601 durations (<c>PT15M</c>) as <see cref="TimeSpan"/>.</summary>
internal sealed class IsoDurationConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        IsoDuration.Parse(reader.GetString());

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteStringValue(IsoDuration.Format(value));
}

internal sealed class IsoDurationDictionaryConverter : JsonConverter<IReadOnlyDictionary<string, TimeSpan>>
{
    public override IReadOnlyDictionary<string, TimeSpan> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var result = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString()!;
            reader.Read();
            result[name] = IsoDuration.Parse(reader.GetString());
        }
        return result;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, TimeSpan> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (name, duration) in value)
        {
            writer.WriteString(name, IsoDuration.Format(duration));
        }
        writer.WriteEndObject();
    }
}

public static class IsoDuration
{
    public static TimeSpan Parse(string? text) =>
        text is not null && text.StartsWith('P') ? System.Xml.XmlConvert.ToTimeSpan(text) : throw new JsonException($"'{text}' is not an ISO 8601 duration.");

    public static string Format(TimeSpan value) => System.Xml.XmlConvert.ToString(value);
}
