using System.Text.Json;
using BenchmarkDotNet.Attributes;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Bench.Micro;

/// <summary>
/// The shared validator on one methane message, as the hub runs it (device registry included): the whole verdict with
/// normalization, the message schema alone (JSON Schema, the fast flag pass), and a message that fails (the detailed pass).
/// </summary>
public class ValidateBenchmarks
{
    private SpecCatalog _spec = null!;
    private SpecSchema _schema = null!;
    private ValidationContext _context = null!;
    private JsonDocument _valid = null!;
    private JsonDocument _invalid = null!;

    [GlobalSetup]
    public void Setup()
    {
        _spec = SpecCatalog.LoadEmbedded();
        _schema = _spec.Schema(SpecCatalog.TelemetryMessageSchema);
        _context = new ValidationContext { Now = DateTimeOffset.UtcNow, AdapterId = Suite.BenchHub.AdapterId, Devices = new OneDevice() };
        var time = Suite.Telemetry.Time();
        _valid = JsonDocument.Parse(Suite.Telemetry.Message("m1", "d1", 4.2, time));
        // Two findings: an unknown field (schema) and a value of the wrong type.
        _invalid = JsonDocument.Parse($$"""{"messageId":"m2","deviceId":"d1","profile":"gas.underground-methane","time":"{{time}}","extra":1,"observations":[{"metric":"ch4","value":"high","unit":"%{LEL}"}]}""");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _valid.Dispose();
        _invalid.Dispose();
    }

    [Benchmark(Baseline = true, Description = "validate + normalize, valid message")]
    public bool Valid() => _spec.Validator.Validate(_valid.RootElement, _context).IsValid;

    [Benchmark(Description = "JSON Schema only (flag pass), valid message")]
    public bool SchemaOnly() => SchemaFindings.IsValid(_schema, _valid.RootElement);

    [Benchmark(Description = "validate, invalid message (findings)")]
    public bool Invalid() => _spec.Validator.Validate(_invalid.RootElement, _context).IsValid;

    private sealed class OneDevice : IDeviceDirectory
    {
        private readonly DeviceRegistration _device = new() { Key = 1, DeviceId = "d1", AdapterId = Suite.BenchHub.AdapterId, ProfileId = Suite.BenchHub.Profile, District = "370202" };

        public DeviceRegistration? Find(string deviceId) => deviceId == _device.DeviceId ? _device : null;
    }
}
