using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>A vendor's developer reads a profile's graded thresholds in the spec browser, in a real browser, signed out.</summary>
public sealed class SpecBrowserTests : PortalHub
{
    [Fact]
    public async Task SpecBrowser_ShowsAProfilesThresholds_WithTheirLevelsAndSources()
    {
        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress);

        await page.GotoAsync("/docs/profiles?lang=en");
        await page.GetByRole(AriaRole.Link, new() { Name = "gas.underground-methane", Exact = false }).First.ClickAsync();
        // The page's content is awaited below, by what it shows; its load event, once missed on a busy runner, is not.
        await page.WaitForURLAsync("**/docs/profiles/gas.underground-methane", new() { WaitUntil = WaitUntilState.Commit });

        var red = page.Locator("tr.row-red").First;
        await Assertions.Expect(red).ToContainTextAsync("Red");
        await Assertions.Expect(red).ToContainTextAsync("50 %{LEL}");
        await Assertions.Expect(red).ToContainTextAsync("GB/T 50493-2019");
        await Assertions.Expect(page.Locator("tr.row-blue").First).ToContainTextAsync("Blue");
        await Browser.ScreenshotAsync(page, "spec-browser-methane");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task SpecBrowser_ShowsARulesContextLevels_InBothLanguages()
    {
        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress);

        await page.GotoAsync("/docs/profiles/drainage.manhole-level-gas?lang=en");
        var entry = page.Locator("#rule-water-level-context-rainstorm-orange");
        await Assertions.Expect(entry).ToContainTextAsync("While an agency's rainstorm warning of Orange or higher covers the device");
        var table = page.Locator("table", new() { Has = page.Locator("caption", new() { HasText = "Levels of rule water-level under a rainstorm warning of Orange or higher" }) });
        await Assertions.Expect(table.Locator("tr.row-red")).ToContainTextAsync("0.85");
        await Assertions.Expect(table.Locator("tr.row-blue")).ToContainTextAsync("0.3");

        await page.GotoAsync("/docs/profiles/drainage.manhole-level-gas?lang=zh-CN");
        await Assertions.Expect(page.Locator("#rule-water-level-context-rainstorm-orange")).ToContainTextAsync("预警覆盖设备期间");
        await Assertions.Expect(page.Locator("caption", new() { HasText = "预警下规则 water-level 的分级" })).ToHaveCountAsync(1);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task SwaggerUi_TryingOutTelemetry_StartsFromTheSpecsExampleBatch()
    {
        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress);

        await page.GotoAsync("/swagger/index.html", new() { WaitUntil = WaitUntilState.NetworkIdle });
        // Swagger UI renders the whole OpenAPI document on the page's one thread; on a busy two-core runner that takes
        // longer than the default action timeout, so the two clicks that expand an operation get a longer one.
        var slowRender = new LocatorClickOptions { Timeout = 120_000 };
        await page.Locator("#operations-tag-Telemetry").ClickAsync(slowRender);
        await page.Locator(".opblock-summary-path[data-path='/v1/telemetry']").First.ClickAsync(slowRender);
        await page.GetByRole(AriaRole.Button, new() { Name = "Try it out" }).First.ClickAsync(slowRender);
        var body = page.Locator("textarea.body-param__text").First;
        await Assertions.Expect(body).ToBeVisibleAsync(new() { Timeout = 120_000 });

        // The body a developer starts from is the spec's valid example, not values made up from the schema's patterns.
        var example = File.ReadAllText(Path.Combine(IntegrationHub.Testing.Repository.Root, "specs", "examples", "telemetry-batch", "valid", "two-messages.json"));
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(example), System.Text.Json.Nodes.JsonNode.Parse(await body.InputValueAsync())));
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task SwaggerUi_RendersTheApi_UnderItsContentSecurityPolicy_WithNothingBlocked()
    {
        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress);

        var response = await page.GotoAsync("/swagger/index.html", new() { WaitUntil = WaitUntilState.DOMContentLoaded });
        Assert.Contains("script-src 'self'", (await response!.AllHeadersAsync())["content-security-policy"], StringComparison.Ordinal);
        // Swagger UI builds the page from the OpenAPI document with its own scripts: every group shows, closed, and an
        // opened group lists its operations.
        await Assertions.Expect(page.Locator("#operations-tag-Warnings")).ToBeVisibleAsync();
        await page.Locator("#operations-tag-Telemetry").ClickAsync();
        await Assertions.Expect(page.Locator(".opblock-summary-path[data-path='/v1/telemetry']").First).ToBeVisibleAsync();
        await page.Locator("#operations-tag-Certification").ClickAsync();
        await Assertions.Expect(page.Locator(".opblock-summary-path[data-path='/v1/certifications']").First).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "swagger-ui");
        // A blocked script, style or image would be a console error (a content security policy violation).
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
