using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IntegrationHub.Conformance.Profiles;

/// <summary>
/// A daily window in China Standard Time (UTC+08:00, no daylight saving): <see cref="From"/> inclusive to
/// <see cref="To"/> exclusive, running over midnight when <see cref="From"/> is later (22:00–06:00).
/// </summary>
[JsonConverter(typeof(DailyWindowConverter))]
public sealed record DailyWindow(TimeOnly From, TimeOnly To)
{
    /// <summary>The zone every daily window of the spec is written in.</summary>
    public static readonly TimeSpan Offset = TimeSpan.FromHours(8);

    /// <summary>Whether <paramref name="time"/>, read as a clock time at UTC+08:00, falls in the window.</summary>
    public bool Contains(DateTimeOffset time)
    {
        var clock = TimeOnly.FromTimeSpan(time.ToOffset(Offset).TimeOfDay);
        return From <= To ? clock >= From && clock < To : clock >= From || clock < To;
    }

    public override string ToString() => $"{Format(From)}–{Format(To)} UTC+08:00";

    internal static string Format(TimeOnly time) => time.ToString("HH:mm", CultureInfo.InvariantCulture);
}

internal sealed class DailyWindowConverter : JsonConverter<DailyWindow>
{
    public override DailyWindow Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("Expected {\"from\": \"HH:MM\", \"to\": \"HH:MM\"}.");
        }
        TimeOnly? from = null, to = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            var value = TimeOnly.ParseExact(reader.GetString()!, "HH:mm", CultureInfo.InvariantCulture);
            switch (name)
            {
                case "from": from = value; break;
                case "to": to = value; break;
                default: throw new JsonException($"Unknown member '{name}' in a daily window.");
            }
        }
        return new DailyWindow(from ?? throw new JsonException("A daily window needs 'from'."), to ?? throw new JsonException("A daily window needs 'to'."));
    }

    public override void Write(Utf8JsonWriter writer, DailyWindow value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("from", DailyWindow.Format(value.From));
        writer.WriteString("to", DailyWindow.Format(value.To));
        writer.WriteEndObject();
    }
}
