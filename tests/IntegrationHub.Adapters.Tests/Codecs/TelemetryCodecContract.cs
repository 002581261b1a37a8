using System.Text.Json;
using IntegrationHub.Adapters.Codecs;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using Microsoft.Extensions.Time.Testing;

namespace IntegrationHub.Adapters.Tests.Codecs;

/// <summary>
/// What every codec promises, whatever its format: it decodes a sample into canonical messages that the spec's own
/// validator accepts with the expected canonical values, gives the same message ids when the same payload comes
/// again (so retries are stored once), and refuses malformed input with a format error instead of guessing.
/// Each codec's test class derives from this one.
/// </summary>
public abstract class TelemetryCodecContract
{
    protected const string DeviceId = "ch4-1";
    protected const string Profile = "gas.underground-methane";

    /// <summary>The instants of the sample's two readings.</summary>
    protected static readonly DateTimeOffset First = new(2026, 1, 5, 10, 30, 0, TimeSpan.Zero);
    protected static readonly DateTimeOffset Second = First.AddMinutes(5);

    private static readonly SpecCatalog Spec = SpecCatalog.LoadEmbedded();

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 5, 12, 0, 0, TimeSpan.Zero));

    protected abstract ITelemetryCodec CreateCodec(TimeProvider time);

    /// <summary>
    /// Device <see cref="DeviceId"/> reads methane 5 %LEL at <see cref="First"/> and 2 %LEL at <see cref="Second"/>,
    /// each in a unit of the codec's own choosing that the profile converts (the profile is given by the context).
    /// </summary>
    protected abstract byte[] Sample();

    /// <summary>Payloads that are not well-formed in the codec's format.</summary>
    protected abstract IEnumerable<byte[]> Malformed();

    [Fact]
    public void Names_AreKebabCase_AndMediaTypesBare()
    {
        var codec = CreateCodec(Time);
        Assert.Matches("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", codec.Name);
        Assert.NotEmpty(codec.MediaTypes);
        Assert.All(codec.MediaTypes, m => Assert.Matches("^[a-z]+/[a-z0-9.+-]+$", m));
    }

    [Fact]
    public void Decode_Sample_PassesTheSpecValidatorWithCanonicalValues()
    {
        using var batch = CreateCodec(Time).Decode(Sample(), new CodecContext { Profile = Profile });

        var messages = batch.RootElement.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["messages"], batch.RootElement.EnumerateObject().Select(p => p.Name));
        var verdicts = messages.Select(m => Spec.Validator.Validate(m, Context())).ToList();
        Assert.All(verdicts, v => Assert.True(v.IsValid, string.Join("; ", v.Findings.Select(f => $"{f.Pointer} {f.Code} {f.Detail}"))));
        var normalized = verdicts.Select(v => v.Message!).OrderBy(m => m.Time).ToList();
        Assert.Equal([First, Second], normalized.Select(m => m.Time));
        Assert.All(normalized, m => Assert.Equal(DeviceId, m.DeviceId));
        Assert.Equal([5.0, 2.0], normalized.Select(m => Math.Round(m.Observations.Single(o => o.Metric == "ch4").Number!.Value, 6)));
        Assert.All(normalized, m => Assert.Equal("%{LEL}", m.Observations.Single().Unit));
    }

    [Fact]
    public void Decode_SamePayloadTwice_GivesTheSameMessageIds()
    {
        var codec = CreateCodec(Time);
        using var once = codec.Decode(Sample(), new CodecContext { Profile = Profile });
        Time.Advance(TimeSpan.FromMinutes(7));
        using var again = codec.Decode(Sample(), new CodecContext { Profile = Profile });

        var ids = MessageIds(once);
        Assert.Equal(2, ids.Distinct().Count());
        Assert.Equal(ids, MessageIds(again));
    }

    [Fact]
    public void Decode_Malformed_IsRefusedAsAFormatError()
    {
        var codec = CreateCodec(Time);
        Assert.All(Malformed(), payload =>
        {
            var error = Record.Exception(() => codec.Decode(payload, new CodecContext { Profile = Profile }).Dispose());
            Assert.True(error is JsonException or CodecException, $"expected a format error, got {error?.GetType().Name ?? "none"}");
        });
    }

    /// <summary>
    /// Payloads holding two messages of <see cref="DeviceId"/>: a good one, and one with a value the codec cannot make
    /// sense of (a time no date holds, a number beyond a double, text that is not Unicode); with the code and pointer
    /// the validator rejects that message with.
    /// </summary>
    protected abstract IEnumerable<(string Case, byte[] Payload, string Code, string Pointer)> BadValues();

    [Fact]
    public void Decode_BadValue_TravelsOn_AndTheValidatorRejectsItsMessageAlone()
    {
        var codec = CreateCodec(Time);
        Assert.All(BadValues(), bad =>
        {
            using var batch = codec.Decode(bad.Payload, new CodecContext { Profile = Profile });

            var verdicts = batch.RootElement.GetProperty("messages").EnumerateArray().Select(m => Spec.Validator.Validate(m, Context())).ToList();
            Assert.True(verdicts.Count == 2 && verdicts.Count(v => v.IsValid) == 1, $"{bad.Case}: expected one good and one bad message, got {string.Join("; ", verdicts.Select(v => v.IsValid ? "valid" : v.Findings[0].Code))}");
            var finding = verdicts.Single(v => !v.IsValid).Findings[0];
            Assert.True((bad.Code, bad.Pointer) == (finding.Code, finding.Pointer), $"{bad.Case}: expected {bad.Code} at {bad.Pointer}, got {finding.Code} at {finding.Pointer} ({finding.Detail})");
        });
    }

    private static List<string> MessageIds(JsonDocument batch) =>
        batch.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("messageId").GetString()!).ToList();

    private ValidationContext Context() => new()
    {
        Now = Time.GetUtcNow(),
        Devices = new OneDevice(new DeviceRegistration { DeviceId = DeviceId, AdapterId = "a", ProfileId = Profile }),
    };

    private sealed class OneDevice(DeviceRegistration device) : IDeviceDirectory
    {
        public DeviceRegistration? Find(string deviceId) => deviceId == device.DeviceId ? device : null;
    }
}
