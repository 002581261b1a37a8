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
        await page.WaitForURLAsync("**/docs/profiles/gas.underground-methane");

        var red = page.Locator("tr.row-red").First;
        await Assertions.Expect(red).ToContainTextAsync("Red");
        await Assertions.Expect(red).ToContainTextAsync("50 %{LEL}");
        await Assertions.Expect(red).ToContainTextAsync("GB/T 50493-2019");
        await Assertions.Expect(page.Locator("tr.row-blue").First).ToContainTextAsync("Blue");
        await Browser.ScreenshotAsync(page, "spec-browser-methane");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
