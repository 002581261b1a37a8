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
}
