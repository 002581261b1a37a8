using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace IntegrationHub.Portal;

/// <summary>
/// The portal's scripts and styles, embedded in this assembly and served by the hub at <c>/portal/{name}</c>:
/// no CDN, and the same files whether the hub runs from source, from a publish folder or in a test host. Each carries
/// a strong ETag, so browsers revalidate cheaply.
/// </summary>
public static class PortalAssets
{
    public const string Path = "/portal";

    private static readonly FrozenDictionary<string, Asset> Assets = Load();

    private sealed record Asset(byte[] Content, string ContentType, string ETag);

    /// <summary>An asset's address with its version, so a new release is never served from a stale cache.</summary>
    public static string Url(string name) => $"{Path}/{name}?v={Assets[name].ETag.Trim('"')[..12]}";

    /// <summary>An asset's bytes, for what the portal builds from one (the shipped map).</summary>
    internal static byte[] Content(string name) => Assets[name].Content;

    internal static IResult Serve(string name, HttpContext context)
    {
        if (!Assets.TryGetValue(name, out var asset))
        {
            return Results.NotFound();
        }
        context.Response.Headers.CacheControl = "public, max-age=3600";
        if (context.Request.Headers.IfNoneMatch.Contains(asset.ETag))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return Results.Bytes(asset.Content, asset.ContentType, entityTag: EntityTagHeaderValue.Parse(asset.ETag));
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        const string prefix = "assets/";
        var assembly = typeof(PortalAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var name = resource[prefix.Length..];
            var type = System.IO.Path.GetExtension(name) switch
            {
                ".js" => "text/javascript; charset=utf-8",
                ".json" => "application/json",
                ".txt" => "text/plain; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            assets[name] = new Asset(content, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(content))}\"");
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
