using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IntegrationHub.Client.Telemetry;

/// <summary>
/// The value of an observation as the spec allows it: a number (quantities, with a unit), a boolean (flags) or a state
/// name (states). On the wire it is a plain JSON number, boolean or string.
/// </summary>
[JsonConverter(typeof(TelemetryValueJsonConverter))]
public readonly record struct TelemetryValue
{
    private TelemetryValue(double? number, bool? flag, string? text)
    {
        Number = number;
        Flag = flag;
        Text = text;
    }

    public double? Number { get; }

    public bool? Flag { get; }

    public string? Text { get; }

    public static TelemetryValue FromNumber(double value) => new(value, null, null);

    public static TelemetryValue FromFlag(bool value) => new(null, value, null);

    public static TelemetryValue FromText(string value) => new(null, null, value ?? throw new ArgumentNullException(nameof(value)));

    public static implicit operator TelemetryValue(double value) => FromNumber(value);

    public static implicit operator TelemetryValue(bool value) => FromFlag(value);

    public static implicit operator TelemetryValue(string value) => FromText(value);

    public override string ToString() =>
        Number?.ToString(CultureInfo.InvariantCulture) ?? (Flag is { } flag ? (flag ? "true" : "false") : Text ?? "");
}

internal sealed class TelemetryValueJsonConverter : JsonConverter<TelemetryValue>
{
    public override TelemetryValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.Number => TelemetryValue.FromNumber(reader.GetDouble()),
        JsonTokenType.True => TelemetryValue.FromFlag(true),
        JsonTokenType.False => TelemetryValue.FromFlag(false),
        JsonTokenType.String => TelemetryValue.FromText(reader.GetString()!),
        _ => throw new JsonException($"A telemetry value is a number, a boolean or a string, not {reader.TokenType}."),
    };

    public override void Write(Utf8JsonWriter writer, TelemetryValue value, JsonSerializerOptions options)
    {
        if (value.Number is { } number)
        {
            writer.WriteNumberValue(number);
        }
        else if (value.Flag is { } flag)
        {
            writer.WriteBooleanValue(flag);
        }
        else
        {
            writer.WriteStringValue(value.Text);
        }
    }
}
