using System.Text;
using System.Text.Json;
using IntegrationHub.Adapters.Codecs;

namespace IntegrationHub.Adapters.Tests.Codecs;

public sealed class SenmlJsonCodecTests : TelemetryCodecContract
{
    protected override ITelemetryCodec CreateCodec(TimeProvider time) => new SenmlJsonCodec(time);

    // bn names the device, n the metric; ppm is SenML's spelling of UCUM's [ppm]; bv is added to v.
    protected override byte[] Sample() => Encoding.UTF8.GetBytes($$"""
        [
          {"bn": "{{DeviceId}}/", "bt": {{First.ToUnixTimeSeconds()}}, "bu": "ppm", "bv": 500, "n": "ch4", "v": 2000},
          {"n": "ch4", "t": 300, "v": 500}
        ]
        """);

    protected override IEnumerable<byte[]> Malformed() =>
    [
        Encoding.UTF8.GetBytes("""{"bn": "d/", "n": "ch4", "v": 1}"""),
        Encoding.UTF8.GetBytes("""[{"n": "d/ch4", "v": "high"}]"""),
        Encoding.UTF8.GetBytes("""[{"n": "d/ch4", "v": 1, "bver": 11}]"""),
        Encoding.UTF8.GetBytes("""[{"n": "d/ch4", "v": 1, "crc_": 7}]"""),
        Encoding.UTF8.GetBytes("""[3]"""),
        Encoding.UTF8.GetBytes("""[{"n": "d/ch4", "v": 1"""),
        Encoding.UTF8.GetBytes("""[{"n": "d/ch4", "v": 1, "v": 2}]"""),
        // A name ties the record to its device: one that is not Unicode text leaves it nowhere to go.
        Encoding.UTF8.GetBytes("""[{"bn": "d\ud800/", "n": "ch4", "v": 1}]"""),
        [.. "[{\"n\": \"d/ch4"u8, 0xFF, .. "\", \"v\": 1}]"u8],
    ];

    protected override IEnumerable<(string Case, byte[] Payload, string Code, string Pointer)> BadValues()
    {
        var first = First.ToUnixTimeSeconds();
        var good = $$"""{"bn": "{{DeviceId}}/", "bt": {{first}}, "bv": 0, "bu": "ppm", "n": "ch4", "v": 1000}""";
        (string, string, string, string)[] cases =
        [
            ("bt of 1e400", """{"bt": 1e400, "n": "ch4", "v": 1000}""", "message.invalid-value", "/time"),
            ("t of 1e18", """{"n": "ch4", "v": 1000, "t": 1e18}""", "message.invalid-value", "/time"),
            ("t of -1e18, relative to now", """{"bt": 0, "n": "ch4", "v": 1000, "t": -1e18}""", "message.invalid-value", "/time"),
            ("v of 1e400", """{"n": "ch4", "v": 1e400, "t": 300}""", "value.out-of-range", "/observations/0/value"),
            ("bv and v beyond a double together", """{"bv": 1e308, "n": "ch4", "v": 1e308, "t": 300}""", "value.out-of-range", "/observations/0/value"),
            ("a unit escaping a lone surrogate", """{"n": "ch4", "u": "pp\ud800m", "v": 1000, "t": 300}""", "message.invalid-text", "/observations/0/unit"),
        ];
        foreach (var (name, bad, code, pointer) in cases)
        {
            yield return (name, Encoding.UTF8.GetBytes($"[{good}, {bad}]"), code, pointer);
        }
        yield return ("a unit that is not UTF-8", [.. Encoding.UTF8.GetBytes($"[{good}, "), .. "{\"n\": \"ch4\", \"v\": 1000, \"t\": 300, \"u\": \"pp"u8, 0xFF, .. "m\"}]"u8], "message.invalid-text", "/observations/0/unit");
    }

    private JsonElement[] DecodeExample(string file, string? profile = null)
    {
        using var batch = CreateCodec(Time).Decode(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Codecs", "Rfc8428", file)), new CodecContext { Profile = profile });
        return [.. batch.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.Clone())];
    }

    private static string Observations(JsonElement message) => message.GetProperty("observations").GetRawText();

    [Fact]
    public void Rfc8428_SingleDatapoint_IsNow_AndTheNameIsTheDevice()
    {
        var message = Assert.Single(DecodeExample("5.1.1-single-datapoint.json"));

        Assert.Equal("urn:dev:ow:10e2073a01080063", message.GetProperty("deviceId").GetString());
        Assert.Equal("2026-01-05T12:00:00.000Z", message.GetProperty("time").GetString());
        Assert.Equal("""[{"metric":"","value":23.1,"unit":"Cel"}]""", Observations(message));
        Assert.False(message.TryGetProperty("profile", out _));
    }

    [Fact]
    public void Rfc8428_MultipleDatapoints_BaseNameIsTheDevice_NamesAreMetrics()
    {
        var message = Assert.Single(DecodeExample("5.1.2-multiple-datapoints.json", "power.meter"));

        Assert.Equal("urn:dev:ow:10e2073a01080063", message.GetProperty("deviceId").GetString());
        Assert.Equal("power.meter", message.GetProperty("profile").GetString());
        Assert.Equal("""[{"metric":"voltage","value":120.1,"unit":"V"},{"metric":"current","value":1.2,"unit":"A"}]""", Observations(message));
    }

    [Fact]
    public void Rfc8428_MultipleDatapointsWithTimes_ResolveBaseTimeAndBaseUnit()
    {
        var messages = DecodeExample("5.1.2-multiple-datapoints-timed.json");

        // Tue Jun 8 18:01:16.001 UTC 2010 and each second of the five before it.
        Assert.Equal(
            ["2010-06-08T18:01:16.001Z", "2010-06-08T18:01:11.001Z", "2010-06-08T18:01:12.001Z", "2010-06-08T18:01:13.001Z", "2010-06-08T18:01:14.001Z", "2010-06-08T18:01:15.001Z"],
            messages.Select(m => m.GetProperty("time").GetString()));
        Assert.All(messages, m => Assert.Equal("urn:dev:ow:10e2073a0108006", m.GetProperty("deviceId").GetString()));
        Assert.Equal("""[{"metric":"voltage","value":120.1,"unit":"V"},{"metric":"current","value":1.7,"unit":"A"}]""", Observations(messages[0]));
        Assert.Equal("""[{"metric":"current","value":1.2,"unit":"A"}]""", Observations(messages[1]));
    }

    [Fact]
    public void Rfc8428_MultipleMeasurements_PositionBecomesLocation_EnergyLevelBecomesBattery()
    {
        var messages = DecodeExample("5.1.3-multiple-measurements.json");

        Assert.Equal(
            ["2011-10-31T13:24:24.000Z", "2011-10-31T13:25:24.000Z", "2011-10-31T13:26:24.000Z", "2011-10-31T13:26:54.000Z", "2011-10-31T13:27:24.000Z"],
            messages.Select(m => m.GetProperty("time").GetString()));
        Assert.Equal("""[{"metric":"","value":20,"unit":"%{RH}"}]""", Observations(messages[0]));
        Assert.Equal("""{"lon":24.30621,"lat":60.07965}""", messages[0].GetProperty("location").GetRawText());
        Assert.Equal("""{"battery":98}""", messages[3].GetProperty("status").GetRawText());
        Assert.Equal("[]", Observations(messages[3]));
        Assert.Equal("""{"lon":24.30628,"lat":60.07967}""", messages[4].GetProperty("location").GetRawText());
    }

    [Fact]
    public void Rfc8428_ResolvedData_DecodesExactlyAsItsUnresolvedPack()
    {
        var resolved = DecodeExample("5.1.4-resolved-data.json");
        var unresolved = DecodeExample("5.1.3-multiple-measurements.json");

        Assert.Equal(unresolved.Select(m => m.GetRawText()), resolved.Select(m => m.GetRawText()));
    }

    [Fact]
    public void Rfc8428_MultipleDataTypes_KeepTheirKinds()
    {
        var message = Assert.Single(DecodeExample("5.1.5-multiple-data-types.json"));

        Assert.Equal(
            """[{"metric":"temp","value":23.1,"unit":"Cel"},{"metric":"label","value":"Machine Room"},{"metric":"open","value":false},{"metric":"nfc-reader","value":"aGkgCg"}]""",
            Observations(message));
    }

    [Fact]
    public void Rfc8428_CollectionOfResources_TwoDevices_ShareTheBaseTime()
    {
        var messages = DecodeExample("5.1.6-collection-of-resources.json");

        Assert.Equal(["2001:db8::2", "2001:db8::1"], messages.Select(m => m.GetProperty("deviceId").GetString()));
        Assert.All(messages, m => Assert.Equal("2011-10-31T16:27:09.000Z", m.GetProperty("time").GetString()));
        Assert.Equal("""[{"metric":"temperature","value":12.3,"unit":"Cel"},{"metric":"humidity","value":67,"unit":"%{RH}"}]""", Observations(messages[1]));
    }

    [Fact]
    public void Rfc8428_Actuator_BaseOnlyRecordCarriesNoReading_AndRatioBecomesUcumOne()
    {
        var message = Assert.Single(DecodeExample("5.1.7-setting-an-actuator.json"));

        Assert.Equal("""[{"metric":"temp","value":23.1,"unit":"Cel"},{"metric":"heat","value":1,"unit":"1"},{"metric":"fan","value":0,"unit":"1"}]""", Observations(message));
    }

    [Fact]
    public void Rfc8428_Lights_NamesWithoutMetric_AreDevices_AndFractionalTimesKeepMilliseconds()
    {
        var on = DecodeExample("5.1.7-lights-on.json");
        var off = DecodeExample("5.1.7-lights-off.json");

        Assert.Equal(["2001:db8::3", "2001:db8::4"], on.Select(m => m.GetProperty("deviceId").GetString()));
        Assert.Equal(
            [("2001:db8::3", "2011-10-31T16:27:09.000Z"), ("2001:db8::4", "2011-10-31T16:27:09.000Z"), ("2001:db8::3", "2011-10-31T16:27:09.100Z"), ("2001:db8::4", "2011-10-31T16:27:09.100Z")],
            off.Select(m => (m.GetProperty("deviceId").GetString(), m.GetProperty("time").GetString())));
    }

    [Fact]
    public void Decode_TimeBelow2Pow28_IsRelativeToNow()
    {
        using var batch = CreateCodec(Time).Decode("""[{"bn": "d1/", "bt": -30, "n": "ch4", "u": "ppm", "v": 1, "t": -30}]"""u8.ToArray(), CodecContext.Empty);

        Assert.Equal("2026-01-05T11:59:00.000Z", batch.RootElement.GetProperty("messages")[0].GetProperty("time").GetString());
    }

    [Fact]
    public void Decode_SumWithoutValue_IsTheValue_ResolvedWithBaseSum()
    {
        using var batch = CreateCodec(Time).Decode("""[{"bn": "meter-1/", "bs": 1000, "bu": "m3", "n": "totalizer", "s": 234.5}]"""u8.ToArray(), CodecContext.Empty);

        Assert.Equal("""[{"metric":"totalizer","value":1234.5,"unit":"m3"}]""", Observations(batch.RootElement.GetProperty("messages")[0]));
    }

    [Fact]
    public void Decode_IgnorableExtensionsAndUpdateTimes_AreIgnored()
    {
        using var batch = CreateCodec(Time).Decode("""[{"bn": "d1/", "n": "ch4", "u": "ppm", "v": 1, "ut": 60, "vendor": "x", "l": "[]"}]"""u8.ToArray(), CodecContext.Empty);

        Assert.Equal("""[{"metric":"ch4","value":1,"unit":"[ppm]"}]""", Observations(batch.RootElement.GetProperty("messages")[0]));
    }
}
