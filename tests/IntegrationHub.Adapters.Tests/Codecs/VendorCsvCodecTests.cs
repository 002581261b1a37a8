using System.Text;
using IntegrationHub.Adapters.Codecs;

namespace IntegrationHub.Adapters.Tests.Codecs;

public sealed class VendorCsvCodecTests : TelemetryCodecContract
{
    protected override ITelemetryCodec CreateCodec(TimeProvider time) => new VendorCsvCodec();

    // A district export: vendor unit spellings (%vol, ppm), a space instead of the T, Beijing time with its offset.
    protected override byte[] Sample() => Encoding.UTF8.GetBytes($"""
        device_id,timestamp,metric,value,unit
        {DeviceId},2026-01-05 18:30:00+08:00,ch4,0.25,%vol
        {DeviceId},2026-01-05T10:35:00Z,ch4,1000,ppm

        """);

    protected override IEnumerable<byte[]> Malformed() =>
    [
        Encoding.UTF8.GetBytes("device,time,value\nch4-1,2026-01-05T10:30:00Z,3\n"),
        Encoding.UTF8.GetBytes("device_id,timestamp,metric,value\nch4-1,2026-01-05T10:30:00Z,ch4\n"),
        Encoding.UTF8.GetBytes("device_id,timestamp,metric,value\nch4-1,\"2026-01-05T10:30:00Z,ch4,3\n"),
        Encoding.UTF8.GetBytes(""),
        [0x64, 0xff, 0xfe],
        Encoding.UTF8.GetBytes("device_id,timestamp,metric,value,value\nch4-1,2026-01-05T10:30:00Z,ch4,3,4\n"),
        // The fields that group rows into messages must be text.
        [.. "device_id,timestamp,metric,value\nch4-"u8, 0xFF, .. ",2026-01-05T10:30:00Z,ch4,3\n"u8],
    ];

    protected override IEnumerable<(string Case, byte[] Payload, string Code, string Pointer)> BadValues()
    {
        byte[] Csv(string second, params byte[] bad) =>
            [.. Encoding.UTF8.GetBytes($"device_id,timestamp,metric,value,unit\n{DeviceId},2026-01-05T10:30:00Z,ch4,1000,ppm\n{DeviceId},{second},"), .. bad, .. "\n"u8];
        yield return ("a value that is not UTF-8", Csv("2026-01-05T10:35:00Z", [.. "ch4,"u8, 0xFF, 0xFE, .. ",ppm"u8]), "message.invalid-text", "/observations/0/value");
        yield return ("a unit that is not UTF-8", Csv("2026-01-05T10:35:00Z", [.. "ch4,1000,pp"u8, 0xFF, .. "m"u8]), "message.invalid-text", "/observations/0/unit");
        yield return ("a value beyond a double", Csv("2026-01-05T10:35:00Z", [.. "ch4,1e400,ppm"u8]), "value.out-of-range", "/observations/0/value");
        yield return ("a timestamp of 14 digits", Csv("99999999999999", [.. "ch4,1000,ppm"u8]), "message.invalid-value", "/time");
    }

    [Fact]
    public void Decode_RowsOfOneDeviceAndInstant_BecomeOneMessage_WithColumnsInAnyOrder()
    {
        var csv = """
            unit,value,metric,timestamp,device_id,profile
            Cel,18.5,temperature,1767609000,tunnel-7,utility-tunnel.environment
            %RH,"72",humidity,1767609000,tunnel-7,utility-tunnel.environment
            ,normal,fire,1767609000,tunnel-7,utility-tunnel.environment
            ,false,intrusion,1767609000000,tunnel-7,utility-tunnel.environment
            """;

        using var batch = new VendorCsvCodec().Decode(Encoding.UTF8.GetBytes(csv), CodecContext.Empty);

        var message = Assert.Single(batch.RootElement.GetProperty("messages").EnumerateArray());
        Assert.Equal("tunnel-7", message.GetProperty("deviceId").GetString());
        Assert.Equal("utility-tunnel.environment", message.GetProperty("profile").GetString());
        Assert.Equal("2026-01-05T10:30:00.000Z", message.GetProperty("time").GetString());
        Assert.Equal(
            """[{"metric":"temperature","value":18.5,"unit":"Cel"},{"metric":"humidity","value":72,"unit":"%{RH}"},{"metric":"fire","value":"normal"},{"metric":"intrusion","value":false}]""",
            message.GetProperty("observations").GetRawText());
    }

    [Fact]
    public void Decode_TimeWithoutOffset_IsPassedOnForTheValidatorToRefuse()
    {
        using var batch = new VendorCsvCodec().Decode(Encoding.UTF8.GetBytes("device_id,timestamp,metric,value\nd1,2026-01-05 18:30:00,ch4,3\n"), CodecContext.Empty);

        Assert.Equal("2026-01-05T18:30:00", batch.RootElement.GetProperty("messages")[0].GetProperty("time").GetString());
    }

    [Fact]
    public void Decode_QuotedFieldsWithCommasQuotesAndLineBreaks_AreRead()
    {
        var csv = "device_id,timestamp,metric,value,message_id\r\n\"d,1\",2026-01-05T10:30:00Z,state,\"a \"\"b\"\"\nc\",m-7\r\n";

        using var batch = new VendorCsvCodec().Decode(Encoding.UTF8.GetBytes(csv), new CodecContext { Profile = "p.q" });

        var message = batch.RootElement.GetProperty("messages")[0];
        Assert.Equal("d,1", message.GetProperty("deviceId").GetString());
        Assert.Equal("m-7", message.GetProperty("messageId").GetString());
        Assert.Equal("a \"b\"\nc", message.GetProperty("observations")[0].GetProperty("value").GetString());
    }

    [Fact]
    public void Decode_RowWithTooFewFields_NamesItsLine()
    {
        var error = Assert.Throws<CodecException>(() => new VendorCsvCodec().Decode(Encoding.UTF8.GetBytes("device_id,timestamp,metric,value\nd1,2026-01-05T10:30:00Z,ch4,3\nd1,x\n"), CodecContext.Empty));

        Assert.StartsWith("Line 3:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ppm", "[ppm]")]
    [InlineData("%LEL", "%{LEL}")]
    [InlineData("℃", "Cel")]
    [InlineData("m³/h", "m3/h")]
    [InlineData("MPa", "MPa")]
    [InlineData("mPa", "mPa")]
    [InlineData("furlong", "furlong")]
    public void Decode_VendorUnits_MapToUcum_AndUnknownOnesPassUnchanged(string vendor, string ucum)
    {
        using var batch = new VendorCsvCodec().Decode(Encoding.UTF8.GetBytes($"device_id,timestamp,metric,value,unit\nd1,2026-01-05T10:30:00Z,m,1,{vendor}\n"), CodecContext.Empty);

        Assert.Equal(ucum, batch.RootElement.GetProperty("messages")[0].GetProperty("observations")[0].GetProperty("unit").GetString());
    }

    [Fact]
    public void Decode_UnitOnAStateValue_IsDropped_SoTheValidatorJudgesTheValueAlone()
    {
        using var batch = new VendorCsvCodec().Decode(Encoding.UTF8.GetBytes("device_id,timestamp,metric,value,unit\nd1,2026-01-05T10:30:00Z,fire,normal,-\n"), CodecContext.Empty);

        Assert.False(batch.RootElement.GetProperty("messages")[0].GetProperty("observations")[0].TryGetProperty("unit", out _));
    }
}
