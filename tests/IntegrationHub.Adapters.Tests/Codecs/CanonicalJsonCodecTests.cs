using System.Text;
using IntegrationHub.Adapters.Codecs;

namespace IntegrationHub.Adapters.Tests.Codecs;

public sealed class CanonicalJsonCodecTests : TelemetryCodecContract
{
    protected override ITelemetryCodec CreateCodec(TimeProvider time) => new CanonicalJsonCodec();

    protected override byte[] Sample() => Encoding.UTF8.GetBytes($$"""
        {"messages": [
          {"messageId": "m-1", "deviceId": "{{DeviceId}}", "profile": "{{Profile}}", "time": "2026-01-05T18:30:00+08:00",
           "observations": [{"metric": "ch4", "value": 0.25, "unit": "%{vol}"}]},
          {"messageId": "m-2", "deviceId": "{{DeviceId}}", "profile": "{{Profile}}", "time": "2026-01-05T10:35:00Z",
           "observations": [{"metric": "ch4", "value": 1000, "unit": "[ppm]"}]}
        ]}
        """);

    protected override IEnumerable<byte[]> Malformed() => [Encoding.UTF8.GetBytes("""{"messages": [ {"messageId": """), Encoding.UTF8.GetBytes("not json")];

    protected override IEnumerable<(string Case, byte[] Payload, string Code, string Pointer)> BadValues()
    {
        byte[] Batch(params byte[] bad) =>
        [
            .. Encoding.UTF8.GetBytes($$"""
                {"messages": [
                  {"messageId": "m-1", "deviceId": "{{DeviceId}}", "profile": "{{Profile}}", "time": "2026-01-05T18:30:00+08:00", "observations": [{"metric": "ch4", "value": 0.25, "unit": "%{vol}"}]},
                  {"messageId": "m-2", "deviceId": "{{DeviceId}}", "profile": "{{Profile}}", "time": "2026-01-05T10:35:00Z", "observations": [{"metric": "ch4", "value":
                """),
            .. bad,
            .. "}]}]}"u8,
        ];
        yield return ("a value beyond a double", Batch([.. "1e400, \"unit\": \"[ppm]\""u8]), "value.out-of-range", "/observations/0/value");
        yield return ("a unit that is not UTF-8", Batch([.. "1000, \"unit\": \"[ppm"u8, 0xFF, .. "]\""u8]), "message.invalid-text", "/observations/0/unit");
        yield return ("a unit escaping a lone surrogate", Batch([.. "1000, \"unit\": \"[ppm\\udfff]\""u8]), "message.invalid-text", "/observations/0/unit");
    }
}
