using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace IntegrationHub.Portal;

/// <summary>Where the console's map takes the districts' boundaries from (<c>Portal:Map</c>).</summary>
public sealed class CityMapOptions
{
    /// <summary>
    /// A GeoJSON FeatureCollection of the city's districts in WGS 84 (or CGCS2000), each feature carrying its GB/T 2260
    /// code as <c>properties.code</c> or as its <c>id</c>: the city's official boundaries. A relative path is taken from
    /// the hub's content root. Empty: the boundaries the portal ships (Assets/map/qingdao-districts.json, converted from
    /// GCJ-02 to WGS 84; Assets/vendor/README.md names their source and licence).
    /// </summary>
    public string? Boundaries { get; set; }
}

/// <summary>
/// The districts' boundaries the console's map draws, served by the hub at <see cref="Path"/>: the shipped ones, or the
/// city's own from <see cref="CityMapOptions.Boundaries"/>, read and checked once at start. Each feature is served with
/// its code as <c>properties.code</c>, whichever way the file gave it, so the page reads one shape.
/// </summary>
public sealed class CityMap
{
    public const string Path = PortalAssets.Path + "/map/districts.json";
    private const string Shipped = "map/qingdao-districts.json";

    private readonly byte[] _content;
    private readonly string _etag;

    public CityMap(IOptions<CityMapOptions> options, IHostEnvironment environment)
    {
        var (collection, _) = Read(Text(options.Value, environment));
        Codes = collection!["features"]!.AsArray().Select(f => f!["properties"]!["code"]!.GetValue<string>()).ToList();
        _content = JsonSerializer.SerializeToUtf8Bytes(collection);
        _etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(_content))[..32]}\"";
    }

    /// <summary>The boundaries' GeoJSON: the configured file, or the shipped one.</summary>
    private static string Text(CityMapOptions options, IHostEnvironment environment) =>
        string.IsNullOrWhiteSpace(options.Boundaries)
            ? System.Text.Encoding.UTF8.GetString(PortalAssets.Content(Shipped))
            : File.ReadAllText(System.IO.Path.GetFullPath(options.Boundaries, environment.ContentRootPath));

    /// <summary>Checks the boundaries at start: a bad file stops the hub with every problem in it, instead of a blank map.</summary>
    internal sealed class Validator(IHostEnvironment environment) : IValidateOptions<CityMapOptions>
    {
        public ValidateOptionsResult Validate(string? name, CityMapOptions options)
        {
            var source = string.IsNullOrWhiteSpace(options.Boundaries) ? Shipped : options.Boundaries;
            List<string> problems;
            try
            {
                problems = Read(Text(options, environment)).Problems;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems = [e.Message];
            }
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems.Select(p => $"Portal:Map:Boundaries ({source}): {p}"));
        }
    }

    /// <summary>The GB/T 2260 codes of the districts the map draws.</summary>
    public IReadOnlyList<string> Codes { get; }

    /// <summary>
    /// Reads a FeatureCollection of polygons with a six-digit code each, and every problem with it at once; the codes
    /// end up in <c>properties.code</c>.
    /// </summary>
    public static (JsonObject? Collection, List<string> Problems) Read(string text)
    {
        var problems = new List<string>();
        JsonObject? collection;
        try
        {
            collection = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException e)
        {
            return (null, [$"not JSON: {e.Message}"]);
        }
        if (collection?["type"]?.GetValue<string>() != "FeatureCollection" || collection["features"] is not JsonArray features)
        {
            return (null, ["not a GeoJSON FeatureCollection"]);
        }
        for (var i = 0; i < features.Count; i++)
        {
            if (features[i] is not JsonObject feature)
            {
                problems.Add($"feature {i} is not an object");
                continue;
            }
            var properties = feature["properties"] as JsonObject ?? [];
            feature["properties"] = properties;
            var code = (properties["code"] ?? feature["id"])?.ToString();
            if (code is not { Length: 6 } || !code.All(char.IsAsciiDigit))
            {
                problems.Add($"feature {i} has no six-digit GB/T 2260 code in properties.code or id");
            }
            else
            {
                properties["code"] = code;
            }
            if (feature["geometry"]?["type"]?.GetValue<string>() is not ("Polygon" or "MultiPolygon"))
            {
                problems.Add($"feature {i} ({code}) is not a Polygon or MultiPolygon");
            }
        }
        return (collection, problems);
    }

    internal IResult Serve(HttpContext context)
    {
        context.Response.Headers.CacheControl = "public, max-age=3600";
        if (context.Request.Headers.IfNoneMatch.Contains(_etag))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return Results.Bytes(_content, "application/geo+json", entityTag: EntityTagHeaderValue.Parse(_etag));
    }
}
