using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>
/// A vendor's sandbox adapter raises a red alert while the operator watches the city board: the board, the situation
/// and the map never show it, and the vendor's developer finds it in the workspace, marked as a drill (ALR-004).
/// </summary>
public sealed class SandboxDrillTests : PortalHub
{
    [Fact]
    public async Task SandboxRedAlert_IsNotOnTheCityBoard_AndIsADrillInTheWorkspace()
    {
        using var admin = await AdminAsync();
        await PostAsync(admin, "/v1/organizations", new { id = "laoshan-vendor", name = "Laoshan sensor vendor", kind = "enterprise" });
        var vendor = await PostAsync(admin, "/v1/organizations/laoshan-vendor/adapters", new { id = "laoshan-vendor-test", name = "Vendor test bench", scopes = new[] { "telemetry:write" } });
        await PostAsync(admin, "/v1/adapters/laoshan-vendor-test/devices", new { deviceId = "drill-ch4", profile = "gas.underground-methane", district = "370212", location = new { lon = 120.468, lat = 36.107 } });
        await PostAsync(admin, "/v1/organizations", new { id = "shinan-gas", name = "Shinan Gas", kind = "enterprise" });
        var city = await PostAsync(admin, "/v1/organizations/shinan-gas/adapters", new { id = "shinan-gas-scada", name = "Shinan SCADA", scopes = new[] { "telemetry:write" } });
        await PromoteAsync(admin, "shinan-gas-scada");
        await PostAsync(admin, "/v1/adapters/shinan-gas-scada/devices", new { deviceId = "city-ch4", profile = "gas.underground-methane", district = "370202", location = new { lon = 120.383, lat = 36.067 } });
        var invitation = await PostAsync(admin, "/v1/users", new { email = "dev@laoshan-vendor.example.cn", name = "Zhao Min", role = "developer", organizationId = "laoshan-vendor" });

        var (board, boardErrors) = await Browser.OpenAsync(Hub.BaseAddress);
        await SignInAsOperatorAsync(board, "/console");
        await Assertions.Expect(board.Locator("#live.live")).ToBeVisibleAsync();

        // Red from the vendor's test bench first, then red from the city's gas network.
        using var bench = await ClientAsync("laoshan-vendor-test", vendor["clientSecret"]!.GetValue<string>());
        await PostAsync(bench, "/v1/telemetry", new { messages = new[] { Methane("drill-1", "drill-ch4", 80) } });
        using var scada = await ClientAsync("shinan-gas-scada", city["clientSecret"]!.GetValue<string>());
        await PostAsync(scada, "/v1/telemetry", new { messages = new[] { Methane("city-1", "city-ch4", 80) } });

        // The city's alert arrives on the board; the drill, raised before it, never does.
        await Assertions.Expect(board.Locator("#board tr[data-alert-id][data-level=red]")).ToContainTextAsync("city-ch4");
        await Assertions.Expect(board.Locator("#board tr[data-alert-id]")).ToHaveCountAsync(1);
        await Assertions.Expect(board.Locator("#situation tr[data-district='370212'] td[data-level=total]")).ToHaveTextAsync("0");
        await Assertions.Expect(board.Locator("#map-devices tr[data-device='city-ch4']")).ToHaveCountAsync(1);
        await Assertions.Expect(board.Locator("#map-devices tr[data-device='drill-ch4']")).ToHaveCountAsync(0);
        await Assertions.Expect(board.Locator("#trend tr[data-start] td[data-level=red]")).ToHaveTextAsync("1");
        // A reload reads the open alerts afresh: still only the city's.
        await board.ReloadAsync();
        await Assertions.Expect(board.Locator("#board tr[data-alert-id]")).ToHaveCountAsync(1);
        await Assertions.Expect(board.Locator("#board")).Not.ToContainTextAsync("drill-ch4");
        Assert.True(boardErrors.Count == 0, string.Join("\n", boardErrors));

        // The vendor's developer sees the drill, marked as one.
        var (workspace, workspaceErrors) = await Browser.OpenAsync(Hub.BaseAddress);
        await AcceptInvitationAsync(workspace, invitation);
        var drill = workspace.Locator("#alerts tr[data-alert-id]");
        await Assertions.Expect(drill).ToHaveCountAsync(1);
        await Assertions.Expect(drill).ToHaveAttributeAsync("data-sandbox", "true");
        await Assertions.Expect(drill).ToContainTextAsync("drill-ch4");
        await Assertions.Expect(drill.Locator(".drill")).ToHaveTextAsync("Drill (sandbox)");
        await Assertions.Expect(drill.Locator(".level-red")).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(workspace, "developer-workspace-drill");
        Assert.True(workspaceErrors.Count == 0, string.Join("\n", workspaceErrors));
    }
}
