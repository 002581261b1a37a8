using System.Globalization;
using System.Text;

namespace IntegrationHub.Bench.Suite;

/// <summary>A pre-serialized request body and the ids of the messages in it, in order.</summary>
internal sealed record OutgoingBatch(byte[] Body, string[] MessageIds);

/// <summary>
/// The telemetry every scenario sends: methane messages of one observation each (so observations and messages per
/// second are the same figure), to the bench devices, pre-serialized so that the client's own cost stays out of the
/// measurement.
/// </summary>
internal static class Telemetry
{
    public const int MessagesPerBatch = 100;

    /// <summary>What the load sends by default: device <c>d{n mod 100}</c>, values 0–9.6 %LEL (some cross the blue line of 5).</summary>
    public static (string Device, double Value) Default(int sequence) => ("d" + (sequence % BenchHub.Devices).ToString(CultureInfo.InvariantCulture), sequence % 97 / 10.0);

    /// <summary>A device time a minute ago: in the past, and moving forward with each batch.</summary>
    public static string Time() => DateTimeOffset.UtcNow.AddMinutes(-1).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    /// <summary>One canonical message (telemetry-message.schema.json), as an MQTT publish carries it.</summary>
    public static byte[] Message(string messageId, string deviceId, double value, string time) =>
        Encoding.UTF8.GetBytes(Append(new StringBuilder(), messageId, deviceId, value, time).ToString());

    /// <summary>A batch of <paramref name="size"/> messages with ids <c>{prefix}{n}</c>, n continuing from <paramref name="sequence"/>.</summary>
    public static OutgoingBatch Batch(string prefix, ref int sequence, Func<int, (string Device, double Value)>? pick = null, int size = MessagesPerBatch)
    {
        pick ??= Default;
        var time = Time();
        var ids = new string[size];
        var builder = new StringBuilder("{\"messages\":[");
        for (var m = 0; m < size; m++, sequence++)
        {
            ids[m] = prefix + sequence.ToString(CultureInfo.InvariantCulture);
            var (device, value) = pick(sequence);
            Append(builder.Append(m == 0 ? "" : ","), ids[m], device, value, time);
        }
        return new OutgoingBatch(Encoding.UTF8.GetBytes(builder.Append("]}").ToString()), ids);
    }

    /// <summary><paramref name="count"/> batches, ids continuing from <paramref name="sequence"/>.</summary>
    public static List<OutgoingBatch> Batches(string prefix, ref int sequence, int count, Func<int, (string Device, double Value)>? pick = null)
    {
        var batches = new List<OutgoingBatch>(count);
        for (var b = 0; b < count; b++)
        {
            batches.Add(Batch(prefix, ref sequence, pick));
        }
        return batches;
    }

    private static StringBuilder Append(StringBuilder builder, string messageId, string deviceId, double value, string time) =>
        builder.Append(CultureInfo.InvariantCulture, $"{{\"messageId\":\"{messageId}\",\"deviceId\":\"{deviceId}\",\"profile\":\"{BenchHub.Profile}\",\"time\":\"{time}\",")
            .Append(CultureInfo.InvariantCulture, $"\"observations\":[{{\"metric\":\"ch4\",\"value\":{value},\"unit\":\"%{{LEL}}\"}}]}}");
}
