using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Gateway.Upstreams;

/// <summary>
/// Upstream systems' OpenAPI documents are untrusted input (UPS-008): checked for the shape of an OpenAPI 3.0 or 3.1
/// description, then rewritten so that the portal can show them in Swagger UI without running anything their authors
/// put in. Markup is stripped from the texts Swagger UI renders as Markdown, links keep only http(s) targets, vendor
/// extensions and external references go, and the servers and security schemes are replaced by the hub's: tried-out
/// calls go to <c>/upstream/{system}</c> with the caller's own hub token.
/// </summary>
internal static partial class UpstreamDocuments
{
    public const string SecuritySchemeName = "hubToken";

    private const int MaxDepth = 64;

    // The members whose strings Swagger UI renders (Markdown, or as the text of a link).
    private static readonly HashSet<string> Prose = new(StringComparer.Ordinal) { "description", "summary", "title" };

    // The data members: examples and defaults are shown as JSON text, never rendered, so they are kept as they are.
    private static readonly HashSet<string> Data = new(StringComparer.Ordinal) { "example", "examples", "default", "enum", "const" };

    /// <summary>The sanitized document, or the findings that refuse it (each with its JSON pointer).</summary>
    public static (JsonObject? Document, List<Finding> Findings) Check(JsonElement body, string systemId)
    {
        var findings = new List<Finding>();
        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(body.GetRawText(), documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException)
        {
            findings.Add(Invalid("", $"The document nests deeper than {MaxDepth} levels."));
            return (null, findings);
        }
        if (parsed is not JsonObject document)
        {
            findings.Add(Invalid("", "An OpenAPI document is a JSON object."));
            return (null, findings);
        }
        if (document["openapi"] is not JsonValue version || !version.TryGetValue<string>(out var text) || !OpenApiVersion().IsMatch(text))
        {
            findings.Add(Invalid("/openapi", "`openapi` names the version of OpenAPI: 3.0.x or 3.1.x."));
        }
        if (document["info"] is not JsonObject info)
        {
            findings.Add(Invalid("/info", "`info` is an object with `title` and `version`."));
        }
        else
        {
            foreach (var member in new[] { "title", "version" })
            {
                if (info[member] is not JsonValue value || !value.TryGetValue<string>(out _))
                {
                    findings.Add(Invalid($"/info/{member}", $"`info.{member}` is a string."));
                }
            }
        }
        if (document["paths"] is not JsonObject paths)
        {
            findings.Add(Invalid("/paths", "`paths` is an object of the system's paths."));
        }
        else
        {
            foreach (var (path, item) in paths)
            {
                if (!path.StartsWith('/'))
                {
                    findings.Add(Invalid("/paths/" + Escape(path), "A path starts with '/'."));
                }
                if (item is not JsonObject)
                {
                    findings.Add(Invalid("/paths/" + Escape(path), "A path item is an object."));
                }
            }
        }
        CheckReferences(document, "", findings);
        if (findings.Count > 0)
        {
            return (null, findings);
        }

        Clean(document, null);
        document["servers"] = new JsonArray(new JsonObject
        {
            ["url"] = $"{UpstreamTable.PathPrefix}/{systemId}",
            ["description"] = "Through IntegrationHub: the hub checks your token and calls the system with its own credentials.",
        });
        var components = document["components"] as JsonObject ?? [];
        document["components"] = components;
        components["securitySchemes"] = new JsonObject
        {
            [SecuritySchemeName] = new JsonObject
            {
                ["type"] = "http",
                ["scheme"] = "bearer",
                ["bearerFormat"] = "JWT",
                ["description"] = "An access token of your own hub client (client credentials at /connect/token), with a scope the route admits.",
            },
        };
        document["security"] = new JsonArray(new JsonObject { [SecuritySchemeName] = new JsonArray() });
        return (document, findings);
    }

    /// <summary>
    /// The part of a sanitized document a caller may use: the paths under the routes' prefixes, with the operations of
    /// the routes' methods.
    /// </summary>
    public static JsonObject ForRoutes(string document, IReadOnlyCollection<UpstreamRoute> routes)
    {
        var result = JsonNode.Parse(document)!.AsObject();
        if (result["paths"] is not JsonObject paths)
        {
            return result;
        }
        foreach (var (path, item) in paths.ToList())
        {
            var admitting = routes.Where(r => Covers(r.PathPrefix, path)).ToList();
            if (admitting.Count == 0 || item is not JsonObject operations)
            {
                paths.Remove(path);
                continue;
            }
            foreach (var (member, _) in operations.ToList())
            {
                if (HttpMethods.Contains(member) && !admitting.Any(r => r.Methods.Contains(member.ToUpperInvariant(), StringComparer.Ordinal)))
                {
                    operations.Remove(member);
                }
            }
        }
        return result;
    }

    /// <summary>Whether a route's prefix covers a path, at a segment boundary (<c>/valves</c> covers <c>/valves/{id}</c>, not <c>/valvesets</c>).</summary>
    public static bool Covers(string prefix, string path)
    {
        prefix = prefix.TrimEnd('/');
        return prefix.Length == 0 || path == prefix || path.StartsWith(prefix + "/", StringComparison.Ordinal);
    }

    private static readonly HashSet<string> HttpMethods = new(StringComparer.Ordinal) { "get", "put", "post", "delete", "options", "head", "patch", "trace" };

    private static void CheckReferences(JsonNode? node, string pointer, List<Finding> findings)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    if (name == "$ref" && (value is not JsonValue reference || !reference.TryGetValue<string>(out var target) || !target.StartsWith("#/", StringComparison.Ordinal)))
                    {
                        findings.Add(Invalid(pointer + "/$ref", "References stay inside the document (#/…); the portal loads nothing from elsewhere."));
                    }
                    CheckReferences(value, pointer + "/" + Escape(name), findings);
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    CheckReferences(array[i], $"{pointer}/{i}", findings);
                }
                break;
        }
    }

    private static void Clean(JsonNode? node, string? parent)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    if (name.StartsWith("x-", StringComparison.OrdinalIgnoreCase) || name is "servers" or "security" or "securitySchemes")
                    {
                        obj.Remove(name);
                    }
                    else if (Data.Contains(name) && parent is not "properties")
                    {
                        // Data, shown as text; an Examples map still has summaries and descriptions of its own.
                        if (name == "examples" && value is JsonObject examples)
                        {
                            foreach (var (_, example) in examples)
                            {
                                CleanProse(example as JsonObject);
                            }
                        }
                    }
                    else if (value is JsonValue text && text.TryGetValue<string>(out var s))
                    {
                        if (Prose.Contains(name) && parent is not "properties")
                        {
                            obj[name] = PlainText(s, markdown: name == "description");
                        }
                        else if ((name == "url" && parent is "externalDocs" or "contact" or "license") || name == "termsOfService")
                        {
                            if (!IsWebAddress(s))
                            {
                                obj.Remove(name);
                            }
                        }
                    }
                    else
                    {
                        Clean(value, name);
                    }
                }
                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Clean(item, parent);
                }
                break;
        }
    }

    private static void CleanProse(JsonObject? example)
    {
        foreach (var name in new[] { "summary", "description" })
        {
            if (example?[name] is JsonValue value && value.TryGetValue<string>(out var s))
            {
                example[name] = PlainText(s, markdown: name == "description");
            }
        }
        if (example?["externalValue"] is JsonValue external && (!external.TryGetValue<string>(out var url) || !IsWebAddress(url)))
        {
            example.Remove("externalValue");
        }
    }

    /// <summary>
    /// Text without markup: tags and comments go (what they enclose stays, as text). In Markdown a stray angle bracket
    /// is written as an entity, and links keep only http(s), in-page and same-site targets.
    /// </summary>
    public static string PlainText(string text, bool markdown)
    {
        string previous;
        do
        {
            previous = text;
            text = Markup().Replace(text, "");
        }
        while (text != previous);
        if (!markdown)
        {
            return text;
        }
        text = text.Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
        return UnsafeLinkTarget().Replace(text, "]()");
    }

    private static bool IsWebAddress(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    private static string Escape(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static Finding Invalid(string pointer, string detail) => new(ErrorCodes.UpstreamDocumentInvalid, pointer, detail);

    [GeneratedRegex(@"^3\.[01]\.\d+$")]
    private static partial Regex OpenApiVersion();

    // A script or style element with its content (never text worth keeping), a tag, a comment, or a processing
    // instruction; also an unclosed one at the end.
    [GeneratedRegex(@"<(script|style)\b[^>]*>.*?(</\1\s*>|$)|<!--.*?(-->|$)|<[A-Za-z/!?][^>]*(>|$)", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex Markup();

    // A Markdown link or image target that is not http(s), an in-page anchor or a path.
    [GeneratedRegex(@"\]\(\s*(?!https?://|#|/(?!/))[^)]*\)", RegexOptions.IgnoreCase)]
    private static partial Regex UnsafeLinkTarget();
}
