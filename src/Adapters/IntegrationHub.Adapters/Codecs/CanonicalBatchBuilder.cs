using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace IntegrationHub.Adapters.Codecs;

/// <summary>
/// Builds a canonical batch from readings that arrive one value at a time (SenML records, CSV rows): readings of one
/// device at one instant become one message, in the order they first appear. A message without an id of its own gets
/// one derived from its device and time, so a payload sent twice is stored once.
/// </summary>
internal sealed class CanonicalBatchBuilder(string codecName)
{
    private readonly Dictionary<(string DeviceId, string Time), Message> _byKey = [];
    private readonly List<Message> _messages = [];

    public int Count => _messages.Count;

    /// <summary>The message of a device at an instant; <paramref name="time"/> is RFC 3339 text as it will be sent.</summary>
    public Message For(string deviceId, string time, CodecText? profile, string? messageId = null)
    {
        if (!_byKey.TryGetValue((deviceId, time), out var message))
        {
            message = new Message(messageId ?? DerivedId(codecName, deviceId, time), deviceId, time, profile);
            _byKey.Add((deviceId, time), message);
            _messages.Add(message);
        }
        return message;
    }

    public JsonDocument Build()
    {
        var buffer = new ArrayBufferWriter<byte>(256 * Math.Max(1, _messages.Count));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("messages");
            foreach (var message in _messages)
            {
                message.WriteTo(writer);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return JsonDocument.Parse(buffer.WrittenMemory);
    }

    /// <summary>RFC 3339 in UTC with milliseconds, the precision the hub stores.</summary>
    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string DerivedId(string codecName, string deviceId, string time)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(deviceId + "\n" + time));
        return codecName + "-" + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    internal sealed class Message(string messageId, string deviceId, string time, CodecText? profile)
    {
        private readonly List<(CodecText Metric, object Value, CodecText? Unit)> _observations = [];
        private double? _lon;
        private double? _lat;
        private double? _battery;

        public string MessageId { get; } = messageId;
        public string DeviceId { get; } = deviceId;

        /// <summary>A value of a metric: a double, a bool or <see cref="CodecText"/>.</summary>
        public void Observe(CodecText metric, object value, CodecText? unit) => _observations.Add((metric, value, unit));

        public void Longitude(double value) => _lon = value;

        public void Latitude(double value) => _lat = value;

        public void Battery(double percent) => _battery = percent;

        public void WriteTo(Utf8JsonWriter writer)
        {
            writer.WriteStartObject();
            writer.WriteString("messageId", MessageId);
            writer.WriteString("deviceId", DeviceId);
            if (profile is { } name)
            {
                writer.WritePropertyName("profile");
                name.WriteTo(writer);
            }
            writer.WriteString("time", time);
            writer.WriteStartArray("observations");
            foreach (var (metric, value, unit) in _observations)
            {
                writer.WriteStartObject();
                writer.WritePropertyName("metric");
                metric.WriteTo(writer);
                writer.WritePropertyName("value");
                switch (value)
                {
                    case double number:
                        WriteNumber(writer, number);
                        break;
                    case bool flag:
                        writer.WriteBooleanValue(flag);
                        break;
                    default:
                        ((CodecText)value).WriteTo(writer);
                        break;
                }
                if (unit is { } symbol)
                {
                    writer.WritePropertyName("unit");
                    symbol.WriteTo(writer);
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            if (_lon is not null || _lat is not null)
            {
                writer.WriteStartObject("location");
                WriteOptional(writer, "lon", _lon);
                WriteOptional(writer, "lat", _lat);
                writer.WriteEndObject();
            }
            if (_battery is { } battery)
            {
                writer.WriteStartObject("status");
                writer.WritePropertyName("battery");
                WriteNumber(writer, battery);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }

        private static void WriteOptional(Utf8JsonWriter writer, string name, double? value)
        {
            if (value is { } number)
            {
                writer.WritePropertyName(name);
                WriteNumber(writer, number);
            }
        }

        // A value no double holds (1e400 reads as infinity, and a base value added to it may make ∞ − ∞) has no JSON
        // number: it travels on as one just as far out of reach, and the validator rejects its message as out of range.
        private static void WriteNumber(Utf8JsonWriter writer, double value)
        {
            if (double.IsFinite(value))
            {
                writer.WriteNumberValue(value);
            }
            else
            {
                writer.WriteRawValue(double.IsNegative(value) ? "-1e400" : "1e400", skipInputValidation: true);
            }
        }
    }
}
