using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Tests.Ingestion;

/// <summary>POST /v1/telemetry in the formats beside canonical JSON: decoded by a codec, then judged by the same validator.</summary>
public sealed class CodecIngestTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    private static long UnixSeconds(DateTimeOffset time) => time.ToUnixTimeSeconds();

    [Fact]
    public async Task Post_Senml_IsStoredInCanonicalUnits()
    {
        var org = HubFixture.Unique("senml");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");
        var measured = DateTimeOffset.FromUnixTimeSeconds(UnixSeconds(Hub.Time.GetUtcNow().AddMinutes(-10)));
        var senml = $$"""
            [{"bn": "ch4-1/", "bt": {{UnixSeconds(measured)}}, "n": "ch4", "u": "ppm", "v": 1000},
             {"n": "temperature", "u": "K", "v": 285.15},
             {"n": "ch4", "u": "ppm", "v": 2500, "t": 60}]
            """;

        using var response = await adapter.PostTelemetryAsync(senml, "application/senml+json; profile=gas.underground-methane");

        var result = await response.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(2, result["accepted"]!.GetValue<int>());
        var stored = await Hub.QueryAsync(db => db.Observations.Where(o => o.OrganizationId == org).OrderBy(o => o.ObservedAt).ThenBy(o => o.Metric).ToListAsync());
        Assert.Equal(
            [("ch4", 2.0, "%{LEL}"), ("temperature", 12.0, "Cel"), ("ch4", 5.0, "%{LEL}")],
            stored.Select(o => (o.Metric, Math.Round(o.Number!.Value, 6), o.Unit!)));
        Assert.Equal(measured.ToUnixTimeMilliseconds(), stored[0].ObservedAt);

        using var again = await adapter.PostTelemetryAsync(senml, "application/senml+json; profile=gas.underground-methane");
        Assert.Equal(2, (await again.ShouldBeAsync(HttpStatusCode.OK))["duplicates"]!.GetValue<int>());
    }

    [Fact]
    public async Task Post_VendorCsv_TakesTheAdaptersOnlyProfile_AndMapsVendorUnits()
    {
        var org = HubFixture.Unique("csv");
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (id, secret) = await admin.CreateAdapterAsync(org, org + "-gas", profiles: ["gas.underground-methane"]);
        await admin.RegisterDeviceAsync(id, "ch4-9");
        using var adapter = Hub.As(await Hub.TokenAsync(id, secret));
        var time = Hub.Time.GetUtcNow().AddMinutes(-3).ToString("yyyy-MM-dd HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);

        using var response = await adapter.PostTelemetryAsync($"device_id,timestamp,metric,value,unit\nch4-9,{time},ch4,0.5,%vol\nch4-9,{time},temperature,21,℃\n", "text/csv");

        var result = await response.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(1, result["accepted"]!.GetValue<int>());
        var latest = await adapter.GetJsonAsync("/v1/telemetry/latest?device=ch4-9&metric=ch4");
        Assert.Equal(10.0, latest["items"]![0]!["value"]!.GetValue<double>(), 6);
        Assert.Equal("%{LEL}", latest["items"]![0]!["unit"]!.GetValue<string>());
    }

    [Fact]
    public async Task Post_SenmlForAnUnknownMetric_IsRejectedByTheValidator_WithAPointer()
    {
        var org = HubFixture.Unique("senml-bad");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");

        using var response = await adapter.PostTelemetryAsync("""[{"bn": "ch4-1/", "n": "voltage", "u": "V", "v": 3.6, "t": -60}]""", "application/senml+json; profile=gas.underground-methane");

        var result = await response.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("metric.unknown", result["results"]![0]!["code"]!.GetValue<string>());
        Assert.Equal("/messages/0/observations/0/metric", result["results"]![0]!["pointer"]!.GetValue<string>());
    }

    public static TheoryData<string, byte[], string, string> BadValues()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        byte[] Senml(string bad) => Encoding.UTF8.GetBytes($$"""[{"bn": "ch4-1:", "bt": {{now - 60}}, "n": "ch4", "u": "%{LEL}", "v": 3}, {{bad}}]""");
        var csv = Encoding.UTF8.GetBytes($"device_id,timestamp,metric,value,unit\nch4-1,{now - 60},ch4,3,%LEL\nch4-1,{now - 30},ch4,");
        return new()
        {
            { "application/senml+json", Senml("""{"bt": 1e400, "n": "ch4", "u": "%{LEL}", "v": 1}"""), "message.invalid-value", "/time" },
            { "application/senml+json", Senml("""{"bt": 1e18, "n": "ch4", "u": "%{LEL}", "v": 1}"""), "message.invalid-value", "/time" },
            { "application/senml+json", Senml($$"""{"bt": {{now}}, "n": "ch4", "u": "%{LEL}", "v": 1, "t": 1e18}"""), "message.invalid-value", "/time" },
            { "application/senml+json", Senml("""{"n": "ch4", "u": "%{LEL}", "v": 1e400, "t": 30}"""), "value.out-of-range", "/observations/0/value" },
            { "application/senml+json", Senml("""{"n": "ch4", "u": "%\ud800", "v": 1, "t": 30}"""), "message.invalid-text", "/observations/0/unit" },
            { "text/csv", [.. csv, 0xFF, 0xFE, .. ",%LEL\n"u8], "message.invalid-text", "/observations/0/value" },
        };
    }

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task Post_BadValueInAnotherFormat_IsRejectedAlone_WithAPointer(string mediaType, byte[] body, string code, string pointer)
    {
        var org = HubFixture.Unique("codec-bad-value");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");

        using var response = await adapter.PostTelemetryAsync(body, mediaType + "; profile=gas.underground-methane");

        var results = (await response.ShouldBeAsync(HttpStatusCode.OK))["results"]!.AsArray();
        Assert.Equal(["accepted", "rejected"], results.Select(r => r!["status"]!.GetValue<string>()));
        Assert.Equal((code, "/messages/1" + pointer), (results[1]!["code"]!.GetValue<string>(), results[1]!["pointer"]!.GetValue<string>()));
        Assert.NotNull(results[1]!["quarantineId"]);
    }

    [Theory]
    [InlineData("application/senml+json", """{"bn": "ch4-1/"}""")]
    [InlineData("text/csv", "device,when,what\nch4-1,now,3\n")]
    public async Task Post_MalformedInItsFormat_Is400MalformedBody_AndQuarantined(string mediaType, string body)
    {
        var org = HubFixture.Unique("codec-malformed");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");

        using var response = await adapter.PostTelemetryAsync(body, mediaType);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.malformed-body");
        Assert.Contains(mediaType == "text/csv" ? "vendor-csv" : "senml-json", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var quarantine = await adapter.GetJsonAsync("/v1/quarantine");
        Assert.Equal("request.malformed-body", quarantine["items"]![0]!["errors"]![0]!["code"]!.GetValue<string>());
        var kept = quarantine["items"]![0]!;
        Assert.Equal(
            mediaType == "text/csv" ? body : JsonNode.Parse(body)!.ToJsonString(),
            kept["payloadText"]?.GetValue<string>() ?? kept["payload"]!.ToJsonString());
    }
}
