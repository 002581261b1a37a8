using System.Net;
using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Tests.Infrastructure;
using IntegrationHub.Portal;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Tests.Portal;

/// <summary>The districts' boundaries the console's map draws: the shipped ones, and a city's own from configuration.</summary>
public sealed class CityMapTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    [Fact]
    public async Task ShippedBoundaries_AreQingdaosTenDistricts_WithCurrentCodes_ServedByTheHub()
    {
        using var client = fixture.Hub.As(null);
        var areas = SpecCatalog.LoadEmbedded().Areas;

        using var response = await client.GetAsync(new Uri(CityMap.Path, UriKind.Relative));
        var map = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/geo+json", response.Content.Headers.ContentType?.MediaType);
        var codes = map["features"]!.AsArray().Select(f => f!["properties"]!["code"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(CityDistricts.All.Select(d => d.Code).Order(StringComparer.Ordinal), codes);
        // 即墨市 (370282) became 即墨区 (370215) in 2017; every code is in the spec's GB/T 2260 table.
        Assert.DoesNotContain("370282", codes);
        Assert.All(codes, code => Assert.True(areas.TryGet(code, out _), code));
        Assert.Contains("WGS 84", map["datum"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("AMap", map["license"]!.GetValue<string>(), StringComparison.Ordinal);
        // Every vertex lies in Qingdao.
        Assert.All(map["features"]!.AsArray(), f => Assert.All(Vertices(f!["geometry"]!), p =>
        {
            // 121.4: Qianliyan (千里岩), an islet of Laoshan district 60 km out to sea, is the city's easternmost point.
            Assert.InRange(p.Lon, 119.4, 121.4);
            Assert.InRange(p.Lat, 35.5, 37.2);
        }));
    }

    [Fact]
    public async Task ConfiguredBoundaries_ReplaceTheShippedOnes_WithCodesFromTheFeatureIds()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("ihub-map-").FullName, "official.geojson");
        await File.WriteAllTextAsync(file, """
            {"type":"FeatureCollection","features":[{"type":"Feature","id":"370202","properties":{"name":"市南区"},"geometry":{"type":"Polygon","coordinates":[[[120.3,36.03],[120.45,36.03],[120.45,36.1],[120.3,36.03]]]}}]}
            """);
        await using var hub = new HubFactory(null, new() { ["Portal:Map:Boundaries"] = file });
        hub.StartServer();
        using var client = hub.CreateClient();

        var map = JsonNode.Parse(await client.GetStringAsync(new Uri(CityMap.Path, UriKind.Relative)))!;

        var feature = Assert.Single(map["features"]!.AsArray());
        Assert.Equal("370202", feature!["properties"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public void BadBoundaries_StopTheHubAtStart_NamingEveryProblem()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("ihub-map-").FullName, "bad.geojson");
        File.WriteAllText(file, """
            {"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"no code"},"geometry":{"type":"Polygon","coordinates":[]}},{"type":"Feature","id":"370211","geometry":{"type":"Point","coordinates":[120,36]}}]}
            """);
        using var hub = new HubFactory(null, new() { ["Portal:Map:Boundaries"] = file });

        var failure = Assert.ThrowsAny<OptionsValidationException>(() => hub.StartServer());

        Assert.Contains(failure.Failures, f => f.Contains("feature 0 has no six-digit GB/T 2260 code", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("feature 1 (370211) is not a Polygon or MultiPolygon", StringComparison.Ordinal));
    }

    private static IEnumerable<(double Lon, double Lat)> Vertices(JsonNode geometry)
    {
        var polygons = geometry["type"]!.GetValue<string>() == "Polygon" ? [geometry["coordinates"]!.AsArray()] : geometry["coordinates"]!.AsArray().Select(p => p!.AsArray());
        return polygons.SelectMany(p => p.SelectMany(ring => ring!.AsArray().Select(v => (v![0]!.GetValue<double>(), v[1]!.GetValue<double>()))));
    }
}
