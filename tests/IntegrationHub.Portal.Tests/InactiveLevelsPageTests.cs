using System.Net.Http.Json;
using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>
/// A bridge sensor registered without its design values cannot raise 14 of its warning levels. The developer who
/// registers it sees so in the workspace, the duty operator sees it in the console, and setting the values clears both.
/// </summary>
public sealed class InactiveLevelsPageTests : PortalHub
{
    [Fact]
    public async Task Workspace_AndConsole_ShowTheInactiveLevels_UntilTheSiteParametersAreSet()
    {
        using var admin = await AdminAsync();
        await PostAsync(admin, "/v1/organizations", new { id = "licang-bridges", name = "Licang Bridges", kind = "enterprise" });
        await PostAsync(admin, "/v1/organizations/licang-bridges/adapters", new { id = "licang-shm", name = "Licang SHM", scopes = new[] { "telemetry:write" } });
        var invitation = await PostAsync(admin, "/v1/users", new { email = "dev@licang-bridges.example.cn", name = "Zhao Min", role = "developer", organizationId = "licang-bridges" });

        // The developer registers a span sensor in the workspace (English): the answer says 14 levels are inactive, and the row names each.
        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress);
        await AcceptInvitationAsync(page, invitation);
        await Assertions.Expect(page.Locator("#device-adapter")).ToHaveValueAsync("licang-shm");
        var form = page.Locator("#register-device");
        await form.Locator("input[name=deviceId]").FillAsync("lc-span-01");
        await form.Locator("select[name=profile]").SelectOptionAsync("bridge.shm");
        await form.Locator("select[name=district]").SelectOptionAsync("370213");
        await form.Locator("input[name=lon]").FillAsync("120.431");
        await form.Locator("input[name=lat]").FillAsync("36.160");
        await form.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("#devices-message")).ToHaveTextAsync("Registered. 14 of its warning levels stay inactive until their site parameters are set: see its row.");
        var levels = page.Locator("#devices tr[data-device-id='lc-span-01'] .inactive-levels li");
        await Assertions.Expect(levels).ToHaveCountAsync(14);
        await Assertions.Expect(page.Locator("#devices tr[data-device-id='lc-span-01'] li[data-rule='wind'][data-level='orange']"))
            .ToHaveTextAsync("Orange rule wind: set site parameter windLimit");
        await Browser.ScreenshotAsync(page, "developer-inactive-levels");
        Assert.True(errors.Count == 0, string.Join("\n", errors));

        // The duty operator's console (Chinese) lists the device among those with inactive levels once its adapter is in
        // production: a sandbox adapter's devices are no part of the city's picture.
        await PromoteAsync(admin, "licang-shm");
        var (console, consoleErrors) = await Browser.OpenAsync(Hub.BaseAddress, "zh-CN");
        await SignInAsOperatorAsync(console, "/console");
        await Assertions.Expect(console.Locator("#inactive-heading")).ToContainTextAsync("预警级别未生效的设备");
        var row = console.Locator("#inactive tr[data-device-id='lc-span-01']");
        await Assertions.Expect(row).ToContainTextAsync("licang-bridges");
        await Assertions.Expect(row.Locator(".inactive-levels li")).ToHaveCountAsync(14);
        await Assertions.Expect(row.Locator("li[data-rule='wind'][data-level='yellow']")).ToHaveTextAsync("黄色 规则 wind：需设置现场参数 windLimit");
        await Browser.ScreenshotAsync(console, "operator-console-inactive-levels");

        // The design values, set through the site parameters API, activate every level: both pages say so.
        using (var set = await admin.PutAsJsonAsync("/v1/organizations/licang-bridges/devices/lc-span-01/parameters", new
        {
            parameters = new Dictionary<string, double> { ["deflectionLimit"] = 120, ["strainDesign"] = 600, ["baselineFrequency"] = 1.8, ["windLimit"] = 25 },
        }))
        {
            Assert.True(set.IsSuccessStatusCode, await set.Content.ReadAsStringAsync());
        }
        await console.Locator("#inactive-refresh").ClickAsync();
        await Assertions.Expect(row).ToHaveCountAsync(0);
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#devices tr[data-device-id='lc-span-01']")).ToHaveCountAsync(1);
        await Assertions.Expect(levels).ToHaveCountAsync(0);
        Assert.True(consoleErrors.Count == 0, string.Join("\n", consoleErrors));
    }
}
