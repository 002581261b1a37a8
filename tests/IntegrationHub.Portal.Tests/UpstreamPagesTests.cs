using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>
/// The upstream gateway in the portal: the operator registers a system and opens a route on its console page; a
/// signed-in person reads the API catalogue, the system's (hostile, sanitized) documentation in Swagger UI, and tries
/// a call with a client token, never the portal session.
/// </summary>
public sealed class UpstreamPagesTests : PortalHub
{
    /// <summary>A document written to attack the portal: script, event handlers and javascript: links in what Swagger UI renders.</summary>
    private const string HostileDocument = """
        {
          "openapi": "3.0.3",
          "info": {
            "title": "Valve control <script>window.__pwned = 'title'</script>",
            "version": "2.1",
            "description": "Close valves remotely. <img src=x onerror=\"window.__pwned = 'img'\"> [Manual](javascript:window.__pwned='link') <script>window.__pwned='script'</script>"
          },
          "externalDocs": { "url": "javascript:window.__pwned='docs'", "description": "Operations manual" },
          "paths": {
            "/valves/{id}": {
              "get": {
                "summary": "Read a valve <svg onload=\"window.__pwned='svg'\">",
                "description": "The valve's **state**. <iframe src=\"javascript:window.__pwned='frame'\"></iframe>",
                "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } } ],
                "responses": { "200": { "description": "The valve" } }
              }
            }
          }
        }
        """;

    [Fact]
    public async Task Catalogue_ShowsTheRoutes_AndTheSanitizedDocumentation_WhoseConsoleCallsThroughTheHubWithAClientToken()
    {
        await using var upstream = await WebhookReceiver.StartAsync();
        upstream.Answer = _ => new ReceiverAnswer(200) { Body = """{"valve":"v-7","state":"closed"}""" };
        using var admin = await AdminAsync();
        await PostAsync(admin, "/v1/upstreams", new
        {
            id = "gas-network", name = "Gas network control", baseAddress = upstream.Url.GetLeftPart(UriPartial.Authority),
            credentials = new { kind = "header", header = "X-Api-Key", value = "gas-key-0815" },
        });
        await PostAsync(admin, "/v1/upstreams/gas-network/routes", new
        {
            id = "valves", pathPrefix = "/valves", organizations = new[] { "operator" }, description = "Valve states",
        });
        using (var document = await admin.PutAsync(new Uri("/v1/upstreams/gas-network/openapi", UriKind.Relative),
            new StringContent(HostileDocument, System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        }
        // The try-it console's token: a client of the operator's organization that may call routes.
        var client = await PostAsync(admin, "/v1/organizations/operator/adapters", new { id = "duty-desk", name = "Duty desk", scopes = new[] { "upstreams:call" } });
        using var token = await Hub.CreateClient().PostAsync(new Uri("/connect/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = "duty-desk", ["client_secret"] = client["clientSecret"]!.GetValue<string>(),
        }));
        var accessToken = (await token.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();

        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress);
        var tried = new List<IRequest>();
        page.Request += (_, request) =>
        {
            if (request.Url.Contains("/upstream/gas-network/", StringComparison.Ordinal))
            {
                tried.Add(request);
            }
        };
        await SignInAsOperatorAsync(page, "/developer/apis?lang=en");

        var system = page.Locator("section[data-system-id=gas-network]");
        await Assertions.Expect(system).ToContainTextAsync("Gas network control");
        await Assertions.Expect(system.Locator("tr[data-route-id=valves]")).ToContainTextAsync("/upstream/gas-network/valves");
        await Assertions.Expect(system.Locator("tr[data-route-id=valves]")).ToContainTextAsync("upstreams:call");
        await Browser.ScreenshotAsync(page, "api-catalogue");
        await system.Locator("a.docs-link").ClickAsync();
        await page.WaitForURLAsync("**/developer/apis/gas-network");

        await Assertions.Expect(page.Locator("#swagger-ui[data-ready=true]")).ToHaveCountAsync(1);
        var operation = page.Locator(".opblock-summary-path[data-path='/valves/{id}']");
        await Assertions.Expect(operation).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#swagger-ui .info")).ToContainTextAsync("Close valves remotely.");
        await Assertions.Expect(page.Locator("#swagger-ui .info")).Not.ToContainTextAsync("__pwned");
        // Nothing the document's author wrote ran, and none of the markup reached the page.
        Assert.Null(await page.EvaluateAsync<string?>("() => window.__pwned ?? null"));
        await Assertions.Expect(page.Locator("#swagger-ui img[src=x], #swagger-ui iframe, #swagger-ui svg[onload], #swagger-ui a[href^='javascript']")).ToHaveCountAsync(0);

        await page.Locator("button.authorize").First.ClickAsync();
        await page.Locator(".modal-ux input").First.FillAsync(accessToken);
        await page.Locator(".modal-ux button.authorize").ClickAsync();
        await page.Locator(".modal-ux button.btn-done").ClickAsync();
        await operation.ClickAsync();
        await page.Locator("button.try-out__btn").ClickAsync();
        await page.Locator("input[placeholder='id']").FillAsync("v-7");
        await page.Locator("button.execute").ClickAsync();
        await Assertions.Expect(page.Locator(".live-responses-table tr.response .response-col_status").First).ToContainTextAsync("200");
        await Assertions.Expect(page.Locator(".live-responses-table tr.response .response-col_description").First).ToContainTextAsync("closed");
        await Browser.ScreenshotAsync(page, "api-docs-try-it");

        var call = Assert.Single(tried);
        var sent = await call.AllHeadersAsync();
        Assert.Equal("Bearer " + accessToken, sent["authorization"]);
        Assert.False(sent.ContainsKey("cookie"), "the try-it console sent the portal session's cookie");
        var received = Assert.Single(upstream.Requests);
        Assert.Equal("/valves/v-7", received.Path);
        Assert.Equal("gas-key-0815", received.Header("x-api-key"));
        Assert.Null(received.Header("authorization"));
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task Operator_RegistersASystem_OpensARoute_RotatesItsCredentials_AndClosesIt_OnTheConsolePage()
    {
        await using var upstream = await WebhookReceiver.StartAsync();
        using var admin = await AdminAsync();
        await PostAsync(admin, "/v1/organizations", new { id = "laoshan", name = "Laoshan District", kind = "district", areaCode = "370212" });
        var adapter = await PostAsync(admin, "/v1/organizations/laoshan/adapters", new { id = "laoshan-desk", name = "Laoshan desk", scopes = new[] { "upstreams:call" } });
        using var caller = await ClientAsync("laoshan-desk", adapter["clientSecret"]!.GetValue<string>());
        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress);
        await SignInAsOperatorAsync(page, "/console/upstreams?lang=en");

        var form = page.Locator("#new-system");
        await form.Locator("input[name=id]").FillAsync("water-scada");
        await form.Locator("input[name=name]").FillAsync("Water SCADA");
        await form.Locator("input[name=baseAddress]").FillAsync(upstream.Url.GetLeftPart(UriPartial.Authority));
        await form.Locator("select[name=kind]").SelectOptionAsync("header");
        await form.Locator("input[name=header]").FillAsync("X-Api-Key");
        await form.Locator("input[name=value]").FillAsync("first-water-key");
        await form.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        var row = page.Locator("#systems tr[data-system-id=water-scada]");
        await Assertions.Expect(row).ToContainTextAsync("static header (API key) · v1");
        Assert.DoesNotContain("first-water-key", await page.ContentAsync(), StringComparison.Ordinal);

        await row.Locator("button[data-action=show]").ClickAsync();
        var route = page.Locator("#new-route");
        await route.Locator("input[name=id]").FillAsync("pumps");
        await route.Locator("input[name=pathPrefix]").FillAsync("/pumps");
        await route.Locator("input[name=organizations]").FillAsync("laoshan");
        await route.GetByRole(AriaRole.Button, new() { Name = "Open" }).ClickAsync();
        await Assertions.Expect(page.Locator("#routes tr[data-route-id=pumps]")).ToContainTextAsync("/upstream/water-scada/pumps");
        using (var first = await caller.GetAsync(new Uri("/upstream/water-scada/pumps/p-1", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        Assert.Equal("first-water-key", upstream.Requests[^1].Header("x-api-key"));

        var rotate = page.Locator("#rotate");
        await rotate.Locator("select[name=kind]").SelectOptionAsync("header");
        await rotate.Locator("input[name=header]").FillAsync("X-Api-Key");
        await rotate.Locator("input[name=value]").FillAsync("second-water-key");
        await rotate.GetByRole(AriaRole.Button, new() { Name = "Replace credentials" }).ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("· v2");
        using (var second = await caller.GetAsync(new Uri("/upstream/water-scada/pumps/p-1", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }
        Assert.Equal("second-water-key", upstream.Requests[^1].Header("x-api-key"));
        await Browser.ScreenshotAsync(page, "upstreams-console");

        // The close answers once YARP has applied the change on this node; a failure shows its status, not a row that stayed.
        var closing = await page.RunAndWaitForResponseAsync(
            () => page.Locator("#routes tr[data-route-id=pumps] button").ClickAsync(),
            response => response.Request.Method == "DELETE" && response.Url.EndsWith("/routes/pumps", StringComparison.Ordinal),
            new() { Timeout = 60_000 });
        Assert.Equal(204, closing.Status);
        await Assertions.Expect(page.Locator("#routes tr[data-route-id=pumps]")).ToHaveCountAsync(0);
        using (var closed = await caller.GetAsync(new Uri("/upstream/water-scada/pumps/p-1", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, closed.StatusCode);
        }
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
