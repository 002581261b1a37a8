using System.Buffers;
using System.Globalization;
using System.Text.Json;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Gateway.Ingestion;

/// <summary>
/// The data of a <c>city.integrationhub.observation.v1</c> event (schemas/observation-event.schema.json): one accepted
/// message after normalization, canonical units, UTC. Written beside the message, in its transaction.
/// </summary>
internal static class ObservationEvents
{
    public static byte[] Data(Sender sender, NormalizedMessage message, string district, DateTimeOffset receivedAt)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("messageId", message.MessageId);
            writer.WriteString("adapterId", sender.AdapterId);
            writer.WriteString("organizationId", sender.OrganizationId);
            writer.WriteString("deviceId", message.DeviceId);
            writer.WriteString("profile", message.Profile.Id);
            writer.WriteString("domain", message.Profile.Domain);
            writer.WriteString("district", district);
            writer.WriteString("time", Utc(message.Time));
            writer.WriteString("receivedAt", Utc(receivedAt));
            writer.WriteStartArray("observations");
            foreach (var observation in message.Observations)
            {
                writer.WriteStartObject();
                writer.WriteString("metric", observation.Metric);
                writer.WritePropertyName("value");
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
                    writer.WriteString("unit", unit);
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            if (message.Location is { } location)
            {
                writer.WriteStartObject("location");
                writer.WriteNumber("lon", location.Lon);
                writer.WriteNumber("lat", location.Lat);
                if (location.Alt is { } alt)
                {
                    writer.WriteNumber("alt", alt);
                }
                writer.WriteString("crs", location.Crs);
                writer.WriteEndObject();
            }
            if (message.Status is { } status)
            {
                writer.WritePropertyName("status");
                JsonSerializer.Serialize(writer, status, IngestionJsonContext.Default.DeviceStatus);
            }
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static string Utc(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}
