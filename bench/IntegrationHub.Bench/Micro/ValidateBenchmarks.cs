using System.Text.Json;
using BenchmarkDotNet.Attributes;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Bench.Micro;

/// <summary>
/// The shared validator as the hub runs it (device registry included), with its fast path (the message schema
/// compiled into a direct check) and, as the baseline, with the JSON Schema engine alone: the bench's one-observation
/// methane message, the spec's full example (three observations, location, status), a message that fails (the
/// detailed pass), and the schema pass alone, compiled and in the engine.
/// </summary>
public class ValidateBenchmarks
{
    private SpecCatalog _spec = null!;
    private TelemetryValidator _engineOnly = null!;
    private SpecSchema _schema = null!;
    private CompiledSchema _compiled = null!;
    private ValidationContext _context = null!;
    private ValidationContext _offline = null!;
    private JsonDocument _valid = null!;
    private JsonDocument _full = null!;
    private JsonDocument _invalid = null!;

    [GlobalSetup]
    public void Setup()
    {
        _spec = SpecCatalog.LoadEmbedded();
        _engineOnly = new TelemetryValidator(_spec, fastPath: false);
        _schema = _spec.Schema(SpecCatalog.TelemetryMessageSchema);
        _compiled = CompiledSchema.Compile(_schema.Root)!;
        _context = new ValidationContext { Now = DateTimeOffset.UtcNow, AdapterId = Suite.BenchHub.AdapterId, Devices = new OneDevice() };
        var time = Suite.Telemetry.Time();
        _valid = JsonDocument.Parse(Suite.Telemetry.Message("m1", "d1", 4.2, time));
        // Two findings: an unknown field (schema) and a value of the wrong type.
        _invalid = JsonDocument.Parse($$"""{"messageId":"m2","deviceId":"d1","profile":"gas.underground-methane","time":"{{time}}","extra":1,"observations":[{"metric":"ch4","value":"high","unit":"%{LEL}"}]}""");
        _full = JsonDocument.Parse(_spec.FindFile("examples/telemetry-message/valid/full.json")!.Content);
        _offline = new ValidationContext { Now = _full.RootElement.GetProperty("time").GetDateTimeOffset().AddMinutes(1) };
        if (!_spec.Validator.Validate(_full.RootElement, _offline).IsValid || !_compiled.IsCertainlyValid(_valid.RootElement))
        {
            throw new InvalidOperationException("The valid messages of the benchmark must be valid.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _valid.Dispose();
        _full.Dispose();
        _invalid.Dispose();
    }

    [Benchmark(Baseline = true, Description = "validate + normalize, valid message, engine only")]
    public bool ValidEngineOnly() => _engineOnly.Validate(_valid.RootElement, _context).IsValid;

    [Benchmark(Description = "validate + normalize, valid message")]
    public bool Valid() => _spec.Validator.Validate(_valid.RootElement, _context).IsValid;

    [Benchmark(Description = "validate + normalize, full example, engine only")]
    public bool FullEngineOnly() => _engineOnly.Validate(_full.RootElement, _offline).IsValid;

    [Benchmark(Description = "validate + normalize, full example")]
    public bool Full() => _spec.Validator.Validate(_full.RootElement, _offline).IsValid;

    [Benchmark(Description = "JSON Schema only, engine (flag pass), valid message")]
    public bool SchemaOnly() => SchemaFindings.IsValid(_schema, _valid.RootElement);

    [Benchmark(Description = "JSON Schema only, compiled, valid message")]
    public bool CompiledSchemaOnly() => _compiled.IsCertainlyValid(_valid.RootElement);

    [Benchmark(Description = "validate, invalid message (findings), engine only")]
    public bool InvalidEngineOnly() => _engineOnly.Validate(_invalid.RootElement, _context).IsValid;

    [Benchmark(Description = "validate, invalid message (findings)")]
    public bool Invalid() => _spec.Validator.Validate(_invalid.RootElement, _context).IsValid;

    private sealed class OneDevice : IDeviceDirectory
    {
        private readonly DeviceRegistration _device = new() { Key = 1, DeviceId = "d1", AdapterId = Suite.BenchHub.AdapterId, ProfileId = Suite.BenchHub.Profile, District = "370202" };

        public DeviceRegistration? Find(string deviceId) => deviceId == _device.DeviceId ? _device : null;
    }
}
