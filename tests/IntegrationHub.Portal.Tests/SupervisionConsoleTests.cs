using IntegrationHub.Gateway.Alerts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>
/// Supervision (督办) in a real browser: the operator names Laoshan's supervising organization for gas, reads the fire
/// brigade's overdue share per unit and per district on the supervision page, and follows the chain's first step in the
/// console's drawer.
/// </summary>
public sealed class SupervisionConsoleTests : PortalHub
{
    [Fact]
    public async Task Operator_ReadsOverdueSharesPerUnitAndDistrict_NamesASupervisingOrganization_AndSeesTheChainInTheDrawer()
    {
        var cancellation = TestContext.Current.CancellationToken;
        using var admin = await AdminAsync();
        await PostAsync(admin, "/v1/organizations", new { id = "laoshan-fire", name = "Laoshan fire brigade", kind = "department" });
        await PostAsync(admin, "/v1/organizations", new { id = "laoshan-office", name = "Laoshan safety office", kind = "department" });
        await PostAsync(admin, "/v1/organizations", new { id = "sup-gas", name = "Sup Gas", kind = "enterprise" });
        var adapter = await PostAsync(admin, "/v1/organizations/sup-gas/adapters", new { id = "sup-gas-scada", name = "Sup SCADA", scopes = new[] { "telemetry:write" } });
        await PromoteAsync(admin, "sup-gas-scada");
        await PostAsync(admin, "/v1/adapters/sup-gas-scada/devices", new { deviceId = "sup-ch4", profile = "gas.underground-methane", district = "370212", location = new { lon = 120.47, lat = 36.10 } });
        await PostAsync(admin, "/v1/routes", new { domain = "gas", district = "370212", organizationId = "laoshan-fire", role = "lead" });
        using var scada = await ClientAsync("sup-gas-scada", adapter["clientSecret"]!.GetValue<string>());
        await PostAsync(scada, "/v1/telemetry", new { messages = new[] { Methane("sup-1", "sup-ch4", 80) } });
        var engine = Hub.Services.GetRequiredService<AlertEngine>();
        await engine.CaughtUpAsync(cancellation);
        // Red: fifteen minutes to acknowledge, which nobody did. The operator reads the console in Chinese.
        Hub.Time.Advance(TimeSpan.FromMinutes(16));

        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress);
        await SignInAsOperatorAsync(page, "/console/supervision");
        var share = page.Locator("#overdue tr[data-unit='laoshan-fire']");
        await Assertions.Expect(share.Locator(".missed")).ToHaveTextAsync("确认超时");
        await Assertions.Expect(page.Locator("#per-unit li[data-key='laoshan-fire']")).ToHaveTextAsync("Laoshan fire brigade: 1");
        await Assertions.Expect(page.Locator("#per-district li[data-key='370212']")).ToHaveTextAsync("370212: 1");
        await page.Locator("#overdue-filter select[name=district]").SelectOptionAsync("370202");
        await page.Locator("#overdue-filter button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("#overdue tr[data-unit]")).ToHaveCountAsync(0);

        var form = page.Locator("#new-supervisor");
        await form.Locator("select[name=domain]").SelectOptionAsync("gas");
        await form.Locator("select[name=district]").SelectOptionAsync("370212");
        await form.Locator("input[name=organizationId]").FillAsync("laoshan-office");
        await form.Locator("input[name=note]").FillAsync("崂山区安委办督办");
        await form.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("#supervisors tr[data-supervisor-id] .organization")).ToContainTextAsync("Laoshan safety office");
        await Browser.ScreenshotAsync(page, "supervision");

        // The sweep takes the chain's first step, to the brigade's leads; the drawer shows it.
        await engine.SweepAsync(cancellation);
        await page.GotoAsync("/console");
        await page.Locator("#board tr[data-alert-id][data-level=red]").ClickAsync();
        await Assertions.Expect(page.Locator("#supervision li[data-step=lead]")).ToContainTextAsync("Laoshan fire brigade");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
