using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>
/// The duty page (值班与交接班, LOOP-006) in a real browser: the monitoring centre's officer puts themselves on a whole
/// day's shift in Shanghai time, sees themselves on duty, and hands over with a note that the page lists.
/// </summary>
public sealed class DutyConsoleTests : PortalHub
{
    [Fact]
    public async Task Operator_PutsThemselvesOnDuty_SeesWhoIsOnDutyNow_AndHandsOver()
    {
        // The hour before now on Shanghai's clock: a shift from then to the same time tomorrow is on duty now.
        var from = Hub.Time.GetUtcNow().ToOffset(TimeSpan.FromHours(8)).AddHours(-1);
        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress);
        await SignInAsOperatorAsync(page, "/console/duty");
        await Assertions.Expect(page.Locator("#on-duty li")).ToHaveTextAsync("当前无人值班。");

        var form = page.Locator("#new-shift");
        await form.Locator("select[name=userId]").SelectOptionAsync(new SelectOptionValue { Label = $"{OperatorName} (operator)" });
        await form.Locator("input[name=date]").FillAsync(from.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await form.Locator("input[name=start]").FillAsync(from.ToString("HH':00'", System.Globalization.CultureInfo.InvariantCulture));
        await form.Locator("input[name=end]").FillAsync(from.ToString("HH':00'", System.Globalization.CultureInfo.InvariantCulture));
        await form.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("#shifts tr[data-shift-id] .person")).ToHaveTextAsync(OperatorName);
        await Assertions.Expect(page.Locator("#on-duty li[data-shift-id]")).ToContainTextAsync(OperatorName);

        var handover = page.Locator("#new-handover");
        await handover.Locator("textarea[name=note]").FillAsync("夜间无异常，值班电话已转接");
        await handover.Locator("button[type=submit]").ClickAsync();
        var row = page.Locator("#handovers tr[data-handover-id]");
        await Assertions.Expect(row).ToContainTextAsync("夜间无异常，值班电话已转接");
        await Assertions.Expect(row.Locator(".counts")).ToHaveTextAsync("在办 0，超时 0");
        await Browser.ScreenshotAsync(page, "duty");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
