using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>The monitoring centre's duty operator watches the live board in a real browser and handles an alert.</summary>
public sealed class OperatorConsoleTests : PortalHub
{
    [Fact]
    public async Task Operator_SeesANewAlertArriveWithoutReloading_AcknowledgesIt_AndSeesTheStateChange()
    {
        using var admin = await AdminAsync();
        await PostAsync(admin, "/v1/organizations", new { id = "shinan-gas", name = "Shinan Gas", kind = "enterprise" });
        var adapter = await PostAsync(admin, "/v1/organizations/shinan-gas/adapters", new { id = "shinan-gas-scada", name = "Shinan SCADA", scopes = new[] { "telemetry:write" } });
        await PromoteAsync(admin, "shinan-gas-scada");
        await PostAsync(admin, "/v1/adapters/shinan-gas-scada/devices", new { deviceId = "sn-ch4-07", profile = "gas.underground-methane", district = "370202", location = new { lon = 120.383, lat = 36.067 } });

        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress, "zh-CN");
        await SignInAsOperatorAsync(page, "/console");
        Assert.Equal("zh-CN", await page.Locator("html").GetAttributeAsync("lang"));
        await Assertions.Expect(page.Locator("#live.live")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#board tr[data-alert-id]")).ToHaveCountAsync(0);

        // Methane at 30 %LEL, twice: the engine raises an orange alert, and the board shows it without a reload.
        using var scada = await ClientAsync("shinan-gas-scada", adapter["clientSecret"]!.GetValue<string>());
        await PostAsync(scada, "/v1/telemetry", new { messages = new[] { Methane("sn-1", "sn-ch4-07", 30, minutesAgo: 6), Methane("sn-2", "sn-ch4-07", 30) } });
        var row = page.Locator("#board tr[data-alert-id][data-level=orange]");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row).ToContainTextAsync("sn-ch4-07");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "raised");
        // Districts are shown by their names in the spec's GB/T 2260 table, in the page's language.
        await Assertions.Expect(row.Locator("td[data-district='370202']")).ToHaveTextAsync("市南区");
        await Assertions.Expect(page.Locator("#situation tr[data-district='370202'] th")).ToHaveTextAsync("市南区");
        await Assertions.Expect(page.Locator("#situation tr[data-district='370202'] td[data-level=orange]")).ToHaveTextAsync("1");
        // The value reads in the unit as people write it, the rule in Chinese from the profile's titleZh.
        await Assertions.Expect(row.Locator("td.value")).ToHaveTextAsync("30 %LEL");
        await Assertions.Expect(row.Locator("td.rule")).ToHaveTextAsync("甲烷浓度超限");
        // On the map the alert lies in its district: the map's text version says where its location falls.
        await Assertions.Expect(page.Locator("#map-devices tr[data-device='sn-ch4-07']")).ToHaveAttributeAsync("data-map-district", "370202");
        // The situation over time, counted by the hub: this hour's orange alert, then today's when the period is a week by day.
        await Assertions.Expect(page.Locator("#trend")).ToHaveAttributeAsync("data-bucket", "hour");
        await Assertions.Expect(page.Locator("#trend tr[data-start] td[data-level=orange]")).ToHaveTextAsync("1");
        await page.Locator("#trend-period select").SelectOptionAsync("7d");
        await Assertions.Expect(page.Locator("#trend")).ToHaveAttributeAsync("data-bucket", "day");
        await Assertions.Expect(page.Locator("#trend tr[data-start]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#trend tr[data-start] td[data-level=orange]")).ToHaveTextAsync("1");

        // Acknowledge with a note: the row's state changes, and the history shows who did it.
        await row.ClickAsync();
        await page.Locator("#step [name=note]").FillAsync("值班员已确认，通知燃气公司到场");
        await page.Locator("#step-buttons button[data-step=acknowledge]").ClickAsync();
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "acknowledged");
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("已确认");
        await Assertions.Expect(page.Locator("#history")).ToContainTextAsync("值班员已确认");
        // The history names who took the step: the duty operator by name, the raise by the alert engine.
        await Assertions.Expect(page.Locator("#history td.actor[data-actor='engine']")).ToHaveTextAsync("平台预警引擎");
        await Assertions.Expect(page.Locator("#history td.actor").Last).ToHaveTextAsync(OperatorName);
        await Browser.ScreenshotAsync(page, "operator-console");

        // Resolved while it still reads 30 %LEL: closing it is refused, the panel says why and offers to close anyway
        // with a note saying why (ALR-002).
        await page.Locator("#step [name=note]").FillAsync("燃气公司已关阀通风");
        await page.Locator("#step-buttons button[data-step=resolve]").ClickAsync();
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "resolved");
        await page.Locator("#step-buttons button[data-step=close]").ClickAsync();
        await Assertions.Expect(page.Locator("#step-message")).ToContainTextAsync("该预警的条件仍在持续");
        var anyway = page.Locator("#step-buttons button[data-step=close-confirm]");
        await anyway.ClickAsync();
        await Assertions.Expect(page.Locator("#step-message")).ToHaveTextAsync("办结条件仍在持续的预警须填写备注：说明办结原因。");
        await page.Locator("#step [name=note]").FillAsync("传感器进水，已报修");
        await anyway.ClickAsync();
        await Assertions.Expect(page.Locator("#board tr[data-alert-id]")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#history")).ToContainTextAsync("传感器进水，已报修");
        await Assertions.Expect(page.Locator("#detail-heading .state")).ToHaveTextAsync("已办结归档");
        // The refusal is the one error response the page met (the browser reports it twice: the response and its console line).
        var unexpected = errors.Where(e => !(e.Contains("409", StringComparison.Ordinal) && e.Contains("/v1/alerts/", StringComparison.Ordinal) && e.Contains("/close", StringComparison.Ordinal))).ToList();
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected));
    }

    [Fact]
    public async Task Console_SaysItIsDisconnected_AsSoonAsTheHubStops()
    {
        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress, "zh-CN");
        await SignInAsOperatorAsync(page, "/console");
        var live = page.Locator("#live");
        await Assertions.Expect(live).ToHaveAttributeAsync("data-state", "live");
        Assert.True(errors.Count == 0, string.Join("\n", errors));

        // The hub stops while the board is open: the stream ends at once, and the board stops calling itself live.
        var stopping = Hub.DisposeAsync().AsTask();
        var soon = new LocatorAssertionsToHaveAttributeOptions { Timeout = 10_000 };
        await Assertions.Expect(live).ToHaveAttributeAsync("data-state", "disconnected", soon);
        await Assertions.Expect(live).ToHaveTextAsync("连接已断开，正在重连…");
        await Assertions.Expect(live).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\blive\b"));
        await Browser.ScreenshotAsync(page, "operator-console-disconnected");
        await stopping;
    }
}
