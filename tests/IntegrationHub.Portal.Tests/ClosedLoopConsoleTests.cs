using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>
/// The closed loop in real browsers: the operator routes Shinan's gas alerts to the fire brigade on the routing page,
/// adds the district for a joint response from the console, the brigade's duty officer acknowledges the brigade's share
/// and assigns it to a responder, who resolves it, and the operator closes the loop over the district's open share.
/// </summary>
public sealed class ClosedLoopConsoleTests : PortalHub
{
    [Fact]
    public async Task Operator_RoutesAndAddsAUnit_TheUnitAssignsItsShare_TheResponderResolvesIt_TheOperatorOverridesTheRest()
    {
        using var admin = await AdminAsync();
        await PostAsync(admin, "/v1/organizations", new { id = "shinan-fire", name = "Shinan fire brigade", kind = "department" });
        await PostAsync(admin, "/v1/organizations", new { id = "shinan-gov", name = "Shinan district government", kind = "district", areaCode = "370202" });
        await PostAsync(admin, "/v1/organizations", new { id = "loop-gas", name = "Loop Gas", kind = "enterprise" });
        var adapter = await PostAsync(admin, "/v1/organizations/loop-gas/adapters", new { id = "loop-gas-scada", name = "Loop SCADA", scopes = new[] { "telemetry:write" } });
        await PromoteAsync(admin, "loop-gas-scada");
        await PostAsync(admin, "/v1/adapters/loop-gas-scada/devices", new { deviceId = "loop-ch4", profile = "gas.underground-methane", district = "370202", location = new { lon = 120.383, lat = 36.067 } });
        var invitation = await PostAsync(admin, "/v1/users", new { email = "duty@shinan-fire.example.cn", name = "Wang Qiang", role = "officer", organizationId = "shinan-fire" });
        var responderInvitation = await PostAsync(admin, "/v1/users", new { email = "crew@shinan-fire.example.cn", name = "Zhao Min", role = "responder", organizationId = "shinan-fire" });

        // The operator routes Shinan's gas alerts to the brigade, and checks where a red one would go.
        var (operatorPage, operatorErrors) = await Browser.OpenAsync(Hub.BaseAddress, "zh-CN");
        await SignInAsOperatorAsync(operatorPage, "/console/routing");
        var form = operatorPage.Locator("#new-route");
        await form.Locator("select[name=domain]").SelectOptionAsync("gas");
        await form.Locator("select[name=district]").SelectOptionAsync("370202");
        await form.Locator("input[name=organizationId]").FillAsync("shinan-fire");
        await form.Locator("select[name=role]").SelectOptionAsync("lead");
        await form.Locator("input[name=note]").FillAsync("市南区燃气报警由消防先期处置");
        await form.Locator("button[type=submit]").ClickAsync();
        var route = operatorPage.Locator("#routes tr[data-route-id]");
        await Assertions.Expect(route).ToHaveCountAsync(1);
        await Assertions.Expect(route.Locator(".unit")).ToContainTextAsync("Shinan fire brigade");
        await Assertions.Expect(route).ToContainTextAsync("牵头");
        var match = operatorPage.Locator("#match");
        await match.Locator("select[name=domain]").SelectOptionAsync("gas");
        await match.Locator("select[name=district]").SelectOptionAsync("370202");
        await match.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(operatorPage.Locator("#matched li[data-unit='shinan-fire']")).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(operatorPage, "routing-table");

        // A red alert arrives on the board with its unit, and the operator adds the district for a joint response.
        await operatorPage.GotoAsync("/console");
        await Assertions.Expect(operatorPage.Locator("#live.live")).ToBeVisibleAsync();
        using var scada = await ClientAsync("loop-gas-scada", adapter["clientSecret"]!.GetValue<string>());
        await PostAsync(scada, "/v1/telemetry", new { messages = new[] { Methane("loop-1", "loop-ch4", 80) } });
        var row = operatorPage.Locator("#board tr[data-alert-id][data-level=red]");
        await Assertions.Expect(row.Locator(".units")).ToHaveTextAsync("Shinan fire brigade (待签收)");
        await row.ClickAsync();
        await Assertions.Expect(operatorPage.Locator("#units tr[data-unit='shinan-fire']")).ToHaveAttributeAsync("data-state", "routed");
        await operatorPage.Locator("#add-unit input[name=organizationId]").FillAsync("shinan-gov");
        await operatorPage.Locator("#add-unit button[type=submit]").ClickAsync();
        await Assertions.Expect(operatorPage.Locator("#units tr[data-unit='shinan-gov']")).ToContainTextAsync("配合");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "dispatched");

        // The brigade's responder, signed in, sees the alert but may not act on the brigade's share before it is theirs.
        var (crewPage, crewErrors) = await Browser.OpenAsync(Hub.BaseAddress);
        await AcceptAsync(crewPage, responderInvitation);
        await crewPage.Locator("#board tr[data-alert-id][data-level=red]").ClickAsync();
        var crewShare = crewPage.Locator("#units tr[data-unit='shinan-fire']");
        await Assertions.Expect(crewShare).ToHaveAttributeAsync("data-state", "routed");
        await Assertions.Expect(crewShare.Locator("button")).ToHaveCountAsync(0);

        // The brigade's duty officer sees the alert in the brigade's console, acknowledges the brigade's share only, and
        // assigns it to the responder, with a comment for everyone on the alert.
        var (brigadePage, brigadeErrors) = await Browser.OpenAsync(Hub.BaseAddress);
        await AcceptAsync(brigadePage, invitation);
        var brigadeRow = brigadePage.Locator("#board tr[data-alert-id][data-level=red]");
        await brigadeRow.ClickAsync();
        var ours = brigadePage.Locator("#units tr[data-unit='shinan-fire']");
        await Assertions.Expect(brigadePage.Locator("#units tr[data-unit='shinan-gov'] button")).ToHaveCountAsync(0);
        await Assertions.Expect(brigadePage.Locator("#add-unit")).ToBeHiddenAsync();
        await ours.Locator("button[data-unit-step=acknowledge]").ClickAsync();
        await Assertions.Expect(ours).ToHaveAttributeAsync("data-state", "acknowledged");
        await Assertions.Expect(brigadePage.Locator("#history")).ToContainTextAsync("Wang Qiang");
        await ours.Locator("select[name=assignee]").SelectOptionAsync(new SelectOptionValue { Label = "Zhao Min" });
        await brigadePage.Locator("#comment-form input[name=text]").PressSequentiallyAsync("Zhao Min's crew");

        // The operator comments meanwhile: the live event redraws the brigade's drawer, which keeps what the officer
        // chose and is typing, with the focus where it was, so the rest of the sentence lands in the same box.
        var alertId = await brigadeRow.GetAttributeAsync("data-alert-id");
        await PostAsync(admin, $"/v1/alerts/{alertId}/comments", new { text = "请尽快派人到场" });
        await Assertions.Expect(brigadePage.Locator("#comments")).ToContainTextAsync("请尽快派人到场");
        await brigadePage.Keyboard.TypeAsync(" is on the way");
        await Assertions.Expect(ours.Locator("select[name=assignee] option:checked")).ToHaveTextAsync("Zhao Min");
        await Assertions.Expect(brigadePage.Locator("#comment-form input[name=text]")).ToHaveValueAsync("Zhao Min's crew is on the way");
        await ours.Locator("button[data-unit-step=assign]").ClickAsync();
        await Assertions.Expect(ours.Locator(".assignee")).ToHaveTextAsync("Zhao Min");
        await Assertions.Expect(brigadePage.Locator("#comment-form input[name=text]")).ToHaveValueAsync("Zhao Min's crew is on the way");
        await brigadePage.Locator("#comment-form button[type=submit]").ClickAsync();
        await Assertions.Expect(brigadePage.Locator("#comments")).ToContainTextAsync("Wang Qiang");
        await Assertions.Expect(brigadePage.Locator("#comment-form input[name=text]")).ToHaveValueAsync("");
        await Assertions.Expect(brigadePage.Locator("#history")).ToContainTextAsync("Wang Qiang → Zhao Min");

        // The share is the responder's now: they resolve it with their feedback.
        await Assertions.Expect(crewShare.Locator(".assignee")).ToHaveTextAsync("Zhao Min");
        await crewPage.Locator("#step [name=note]").FillAsync("Crew on site, valve closed, well ventilated");
        await crewShare.Locator("button[data-unit-step=resolve]").ClickAsync();
        await Assertions.Expect(crewShare).ToHaveAttributeAsync("data-state", "resolved");
        await Assertions.Expect(ours).ToContainTextAsync("Crew on site, valve closed, well ventilated");
        await Browser.ScreenshotAsync(brigadePage, "unit-console");

        // The district has not answered: the operator resolves the alert over it, with a note saying why.
        await Assertions.Expect(operatorPage.Locator("#units tr[data-unit='shinan-fire']")).ToHaveAttributeAsync("data-state", "resolved");
        await Assertions.Expect(operatorPage.Locator("#step-buttons button[data-step=resolve]")).ToHaveCountAsync(0);
        var overrideButton = operatorPage.Locator("#step-buttons button[data-step=override]");
        await overrideButton.ClickAsync();
        await Assertions.Expect(operatorPage.Locator("#step-message")).ToHaveTextAsync("责任单位尚未全部反馈，强制办结须填写备注说明原因。");
        await operatorPage.Locator("#step [name=note]").FillAsync("消防已处置完毕，区政府电话确认");
        await overrideButton.ClickAsync();
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "resolved");
        await Assertions.Expect(operatorPage.Locator("#history")).ToContainTextAsync("消防已处置完毕，区政府电话确认");
        await Browser.ScreenshotAsync(operatorPage, "operator-console-units");
        Assert.True(brigadeErrors.Count == 0, string.Join("\n", brigadeErrors));
        Assert.True(crewErrors.Count == 0, string.Join("\n", crewErrors));
        Assert.True(operatorErrors.Count == 0, string.Join("\n", operatorErrors));
    }

    /// <summary>A unit's person accepts their invitation in an English page and lands on the console, their place of work.</summary>
    private static async Task AcceptAsync(IPage page, System.Text.Json.Nodes.JsonObject invitation)
    {
        await page.GotoAsync(invitation["invitationUrl"]!.GetValue<string>());
        await page.GetByLabel("New password").FillAsync("duty-password-0123");
        await page.GetByLabel("The same password again").FillAsync("duty-password-0123");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set password and sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/console");
    }
}
