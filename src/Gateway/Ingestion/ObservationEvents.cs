using System.Globalization;
using System.Text.Json;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Gateway.Ingestion;

/// <summary>
/// The data of a <c>city.integrationhub.observation.v1</c> event (schemas/observation-event.schema.json): one accepted
/// message after normalization, canonical units, UTC. Written beside the message, in its transaction, as UTF-8.
/// </summary>
internal static class ObservationEvents
{
    public static void Write(Utf8JsonWriter writer, Sender sender, NormalizedMessage message, string district, DateTimeOffset receivedAt)
    {
        writer.WriteStartObject();
        writer.WriteString("messageId"u8, message.MessageId);
        writer.WriteString("adapterId"u8, sender.AdapterId);
        writer.WriteString("organizationId"u8, sender.OrganizationId);
        writer.WriteString("deviceId"u8, message.DeviceId);
        writer.WriteString("profile"u8, message.Profile.Id);
        writer.WriteString("domain"u8, message.Profile.Domain);
        writer.WriteString("district"u8, district);
        WriteUtc(writer, "time"u8, message.Time);
        WriteUtc(writer, "receivedAt"u8, receivedAt);
        writer.WriteStartArray("observations"u8);
        foreach (var observation in message.Observations)
        {
            writer.WriteStartObject();
            writer.WriteString("metric"u8, observation.Metric);
            writer.WritePropertyName("value"u8);
            switch (observation.Kind)
            {
                case MetricKind.Flag:
                    writer.WriteBooleanValue(observation.Number == 1);
                    break;
                case MetricKind.State:
                    writer.WriteStringValue(observation.Text);
                    break;
                default:
                    writer.WriteNumberValue(observation.Number ?? 0);
                    break;
            }
            if (observation.Unit is { } unit)
            {
                writer.WriteString("unit"u8, unit);
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        if (message.Location is { } location)
        {
            writer.WriteStartObject("location"u8);
            writer.WriteNumber("lon"u8, location.Lon);
            writer.WriteNumber("lat"u8, location.Lat);
            if (location.Alt is { } alt)
            {
                writer.WriteNumber("alt"u8, alt);
            }
            writer.WriteString("crs"u8, location.Crs);
            writer.WriteEndObject();
        }
        if (message.Status is { } status)
        {
            writer.WritePropertyName("status"u8);
            JsonSerializer.Serialize(writer, status, IngestionJsonContext.Default.DeviceStatus);
        }
        writer.WriteEndObject();
    }

    private static void WriteUtc(Utf8JsonWriter writer, ReadOnlySpan<byte> name, DateTimeOffset time)
    {
        Span<char> text = stackalloc char[32];
        time.UtcDateTime.TryFormat(text, out var length, "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
        writer.WriteString(name, text[..length]);
    }
}
