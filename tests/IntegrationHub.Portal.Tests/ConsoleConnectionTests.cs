using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>The wall console loses its line to the hub while alerts go on being raised, and comes back with nothing missed.</summary>
public sealed class ConsoleConnectionTests : PortalHub
{
    [Fact]
    public async Task LostConnection_GreysTheBoardWithABanner_ThenCatchesUpFromTheLastEventId()
    {
        using var admin = await AdminAsync();
        using var scada = await CityAdapterAsync(admin, "chengyang-gas", ("cy-01", "370214", 120.39, 36.30), ("cy-02", "370214", 120.40, 36.31));
        await using var line = new CuttableProxy(Hub.BaseAddress);
        var (page, errors) = await Browser.OpenAsync(line.Address, "zh-CN");
        await page.SetViewportSizeAsync(1920, 1080);
        await SignInAsOperatorAsync(page, "/console");
        var live = page.Locator("#live");
        await Assertions.Expect(live).ToHaveAttributeAsync("data-state", "live");

        // An orange alert arrives live; the page now knows the id of the last event it saw.
        await RaiseAsync(scada, 30, "cy-01");
        await Assertions.Expect(page.Locator("#board tr[data-alert-id][data-level=orange]")).ToHaveCountAsync(1);
        var lastSeen = await live.GetAttributeAsync("data-last-event-id");
        Assert.False(string.IsNullOrEmpty(lastSeen));

        // The line drops: the board greys, a banner says since when, and the status no longer says live.
        line.Cut();
        var banner = page.Locator("#banner");
        await Assertions.Expect(banner).ToBeVisibleAsync();
        await Assertions.Expect(banner).ToHaveAttributeAsync("data-state", "disconnected");
        await Assertions.Expect(banner).ToContainTextAsync("实时连接已于");
        await Assertions.Expect(page.Locator("#wall")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bstale\b"));
        await Assertions.Expect(live).ToHaveAttributeAsync("data-state", "disconnected");
        await Browser.ScreenshotAsync(page, "console-wall-disconnected");

        // Meanwhile a red alert is raised and the orange one escalates to red.
        await RaiseAsync(scada, 60, "cy-02");
        await RaiseAsync(scada, 60, "cy-01");

        // The line is back: the stream resumes after the last event seen, and both changes arrive.
        line.Restore();
        await Assertions.Expect(live).ToHaveAttributeAsync("data-state", "live", new() { Timeout = 60_000 });
        await Assertions.Expect(banner).ToHaveAttributeAsync("data-state", "reconnected");
        await Assertions.Expect(page.Locator("#wall")).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bstale\b"));
        await Assertions.Expect(page.Locator("#board tr[data-alert-id][data-level=red].flash")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#board tr[data-alert-id][data-level=orange]")).ToHaveCountAsync(0);
        var resumed = line.Requests.Where(r => r.StartsWith("GET /v1/stream", StringComparison.Ordinal)).Skip(1).ToList();
        Assert.NotEmpty(resumed);
        // Each stream request after the drop resumes at or after the last event the page had seen, never from scratch.
        var seen = long.Parse(lastSeen!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.All(resumed, r =>
        {
            var from = System.Text.RegularExpressions.Regex.Match(r, @"(?:Last-Event-ID: |lastEventId=)(\d+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
            Assert.True(from.Success, r);
            Assert.True(long.Parse(from.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= seen, r);
        });
        // Only the failed requests while the line was down are errors.
        Assert.True(errors.All(e => e.Contains("ERR_", StringComparison.Ordinal) || e.Contains("net::", StringComparison.Ordinal) || e.Contains("Failed to load", StringComparison.Ordinal) || e.Contains("EventSource", StringComparison.Ordinal)), string.Join("\n", errors));
    }
}
