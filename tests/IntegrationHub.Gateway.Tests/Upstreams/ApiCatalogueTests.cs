using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;

namespace IntegrationHub.Gateway.Tests.Upstreams;

/// <summary>The API catalogue: what an organization may call, and upstreams' OpenAPI documents, checked and sanitized.</summary>
public sealed class ApiCatalogueTests(UpstreamHubFixture fixture) : IClassFixture<UpstreamHubFixture>
{
    private HubFactory Hub => fixture.Hub;

    /// <summary>An upstream's document that tries what such documents try: script, event handlers, javascript: links, outside references, its own servers.</summary>
    public static JsonObject MaliciousDocument() => JsonNode.Parse("""
        {
          "openapi": "3.0.3",
          "info": {
            "title": "Valve control <script>window.__pwned = 1</script>",
            "version": "2.1",
            "description": "Close valves. <img src=x onerror=\"window.__pwned = 2\"> See [the manual](javascript:window.__pwned=3) and <a href=\"javascript:alert(1)\">this</a>.",
            "termsOfService": "javascript:window.__pwned=4",
            "contact": { "name": "Gas company", "url": "javascript:window.__pwned=5" },
            "x-logo": { "url": "https://tracker.example/logo.png" }
          },
          "servers": [ { "url": "http://10.1.2.3:8080/internal" } ],
          "externalDocs": { "url": "javascript:window.__pwned=6", "description": "More <iframe src=//evil.example></iframe>" },
          "paths": {
            "/valves/{id}": {
              "get": {
                "summary": "Read a valve<svg onload=alert(1)>",
                "description": "Returns the valve state.",
                "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "string", "example": "<b>v-7</b>" } } ],
                "responses": { "200": { "description": "The valve", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Valve" } } } } }
              },
              "post": { "summary": "Close the valve", "responses": { "202": { "description": "Accepted" } } }
            },
            "/billing": { "get": { "summary": "Invoices", "responses": { "200": { "description": "Invoices" } } } }
          },
          "components": {
            "schemas": { "Valve": { "type": "object", "properties": { "state": { "type": "string", "description": "open <b>or</b> closed" } } } },
            "securitySchemes": { "basic": { "type": "http", "scheme": "basic" } }
          },
          "security": [ { "basic": [] } ]
        }
        """)!.AsObject();

    [Fact]
    public async Task RegisteredDocument_IsStoredSanitized_AndServedCutToTheRoutesTheCallerMayUse()
    {
        var org = HubFixture.Unique("district");
        var other = HubFixture.Unique("outsider");
        var system = HubFixture.Unique("gasctl");
        using var caller = await Hub.CallerAsync(org);
        using var outsider = await Hub.CallerAsync(other);
        using var admin = await Hub.AdminAsync();
        await admin.RegisterSystemAsync(system, "http://127.0.0.1:9");
        await admin.AddRouteAsync(system, "valves", "/valves", [org], methods: ["GET"]);
        await admin.AddRouteAsync(system, "billing", "/billing", [other]);

        using (var registered = await admin.PutAsJsonAsync($"/v1/upstreams/{system}/openapi", MaliciousDocument()))
        {
            Assert.True((await registered.ShouldBeAsync(HttpStatusCode.OK))["hasDocument"]!.GetValue<bool>());
        }

        var catalogue = await caller.GetJsonAsync("/v1/api-catalogue");
        var entry = Assert.Single(catalogue["systems"]!.AsArray(), s => s!["id"]!.GetValue<string>() == system)!;
        var route = Assert.Single(entry["routes"]!.AsArray())!;
        Assert.Equal($"/upstream/{system}/valves", route["path"]!.GetValue<string>());
        Assert.Equal(["upstreams:call"], route["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal($"/v1/api-catalogue/{system}/openapi", entry["documentUrl"]!.GetValue<string>());

        var document = await caller.GetJsonAsync(entry["documentUrl"]!.GetValue<string>());
        var text = document.ToJsonString();
        foreach (var forbidden in new[] { "<script", "onerror", "onload", "javascript:", "<iframe", "<a ", "x-logo", "10.1.2.3", "basic" })
        {
            Assert.DoesNotContain(forbidden, text, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Equal($"/upstream/{system}", document["servers"]![0]!["url"]!.GetValue<string>());
        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["hubToken"]!["scheme"]!.GetValue<string>());
        Assert.Contains("Close valves.", document["info"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Read a valve", document["paths"]!["/valves/{id}"]!["get"]!["summary"]!.GetValue<string>());
        // Data stays as it is: Swagger UI shows examples as text.
        Assert.Equal("<b>v-7</b>", document["paths"]!["/valves/{id}"]!["get"]!["parameters"]![0]!["schema"]!["example"]!.GetValue<string>());
        // Only what the organization may call: the GET of its route, not the POST, nor another organization's route.
        Assert.Null(document["paths"]!["/valves/{id}"]!["post"]);
        Assert.Null(document["paths"]!["/billing"]);

        using var refused = await outsider.GetAsync(new Uri($"/v1/api-catalogue/{system}/openapi", UriKind.Relative));
        var outsiders = await refused.ShouldBeAsync(HttpStatusCode.OK);
        Assert.NotNull(outsiders["paths"]!["/billing"]);
        Assert.Null(outsiders["paths"]!["/valves/{id}"]);
    }

    [Fact]
    public async Task DocumentThatIsNotOpenApi_IsRefused_WithEveryFinding()
    {
        var system = HubFixture.Unique("docless");
        using var admin = await Hub.AdminAsync();
        await admin.RegisterSystemAsync(system, "http://127.0.0.1:9");

        using var response = await admin.PutAsync(new Uri($"/v1/upstreams/{system}/openapi", UriKind.Relative), new StringContent("""
            { "swagger": "2.0", "info": { "title": 7 }, "paths": { "valves": {}, "/ok": { "$ref": "https://evil.example/paths.json" } } }
            """, Encoding.UTF8, "application/json"));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "upstream.document-invalid");
        var pointers = problem["errors"]!.AsArray().Select(e => e!["pointer"]!.GetValue<string>()).ToList();
        Assert.Equal(["/openapi", "/info/title", "/info/version", "/paths/valves", "/paths/~1ok/$ref"], pointers);
        using var document = await admin.GetAsync(new Uri($"/v1/upstreams/{system}", UriKind.Relative));
        Assert.False((await document.ShouldBeAsync(HttpStatusCode.OK))["hasDocument"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Catalogue_ListsOnlyTheRoutesTheCallersOrganizationMayCall()
    {
        var org = HubFixture.Unique("shinan");
        var system = HubFixture.Unique("hotline");
        using var caller = await Hub.CallerAsync(org);
        using var admin = await Hub.AdminAsync();
        await admin.RegisterSystemAsync(system, "http://127.0.0.1:9");
        await admin.AddRouteAsync(system, "orders", "/orders", [org], methods: ["GET", "POST"], scopes: ["upstreams:call", "alerts:manage"]);
        await admin.AddRouteAsync(system, "everyone", "/status", ["*"]);
        await admin.AddRouteAsync(system, "secret", "/secret", ["operator"]);

        var catalogue = await caller.GetJsonAsync("/v1/api-catalogue");

        var entry = Assert.Single(catalogue["systems"]!.AsArray(), s => s!["id"]!.GetValue<string>() == system)!;
        Assert.Equal(["everyone", "orders"], entry["routes"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()).Order());
        Assert.Null(entry["documentUrl"]);
        using var none = await caller.GetAsync(new Uri($"/v1/api-catalogue/{system}/openapi", UriKind.Relative));
        await none.ShouldBeProblemAsync(HttpStatusCode.NotFound, "upstream.document-not-found");
    }
}
