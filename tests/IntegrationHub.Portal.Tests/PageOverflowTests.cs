using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>Every portal page fits the screen's width, on a phone, a laptop and a wall, in Chinese and in English.</summary>
public sealed class PageOverflowTests : PortalHub
{
    private static readonly string[] PublicPages =
    [
        "/", "/docs", "/docs/profiles", "/docs/profiles/evidence", "/docs/profiles/gas.underground-methane", "/docs/profiles/bridge.shm", "/docs/schemas",
        "/docs/schemas/telemetry-message", "/docs/mqtt", "/docs/requirements", "/docs/errors", "/docs/errors/unit.unknown",
        "/docs/api", "/docs/downloads", "/docs/rules", "/docs/cap", "/docs/certification", "/docs/pull", "/account/sign-in",
    ];

    private static readonly string[] SignedInPages = ["/console", "/console/organizations", "/developer", "/account"];

    [Theory]
    [InlineData("zh-CN")]
    [InlineData("en")]
    public async Task NoPage_OverflowsHorizontally_At390_1440Or1920(string language)
    {
        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress, language);
        await SignInAsOperatorAsync(page, "/account");
        var overflowing = new List<string>();
        var widest = new List<string>();
        foreach (var width in new[] { 390, 1440, 1920 })
        {
            await page.SetViewportSizeAsync(width, width == 390 ? 844 : 1080);
            foreach (var path in PublicPages.Concat(SignedInPages))
            {
                await page.GotoAsync($"{path}?lang={language}");
                if (path == "/console")
                {
                    await Assertions.Expect(page.Locator("#map")).ToHaveAttributeAsync("data-ready", "true");
                }
                var scrollWidth = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
                widest.Add($"{width} {language} {path}: {scrollWidth}");
                if (scrollWidth > width)
                {
                    var culprit = await page.EvaluateAsync<string>("""
                        w => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1)
                               .slice(-3).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + [...e.classList].join('.') + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ')
                        """, width);
                    overflowing.Add($"{path} at {width} px: {scrollWidth} ({culprit})");
                }
            }
        }
        await File.WriteAllLinesAsync(Path.Combine(Browser.Screenshots, $"page-widths-{language}.txt"), widest);
        Assert.True(overflowing.Count == 0, string.Join("\n", overflowing));
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
