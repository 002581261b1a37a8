using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>A district developer onboards through the portal, in a real browser, and sends telemetry with what it got.</summary>
public sealed class DeveloperWorkspaceTests : PortalHub
{
    [Fact]
    public async Task Developer_RegistersAnAdapter_SeesTheSecretOnce_SendsWithIt_AndFindsTheRejectionInTheQuarantine()
    {
        using var admin = await AdminAsync();
        await PostAsync(admin, "/v1/organizations", new { id = "laoshan-gas", name = "Laoshan Gas Co.", kind = "enterprise" });
        var invitation = await PostAsync(admin, "/v1/users", new { email = "dev@laoshan-gas.example.cn", name = "Wang Lei", role = "developer", organizationId = "laoshan-gas" });
        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress);

        // The invitation link: choose a password, and land signed in on the developer workspace.
        await AcceptInvitationAsync(page, invitation);
        await Assertions.Expect(page.Locator("#who")).ToContainTextAsync("laoshan-gas");

        // Register an adapter: the secret appears once.
        await page.GetByLabel("Adapter id (client id)").FillAsync("laoshan-gas-scada");
        await page.Locator("#adapter-name").FillAsync("Laoshan SCADA bridge");
        await page.GetByLabel("Allowed profiles (none selected: all)").SelectOptionAsync("gas.underground-methane");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register" }).First.ClickAsync();
        await Assertions.Expect(page.Locator("#secret")).ToBeVisibleAsync();
        var secret = await page.Locator("#secret-value").TextContentAsync();
        Assert.Equal("laoshan-gas-scada", await page.Locator("#secret-client-id").TextContentAsync());
        await Assertions.Expect(page.Locator("tr[data-adapter-id='laoshan-gas-scada'] .adapter-status")).ToHaveTextAsync("sandbox");

        // Devices from a CSV file, all at once.
        await Assertions.Expect(page.Locator("#device-adapter")).ToHaveValueAsync("laoshan-gas-scada");
        await page.Locator("#import-devices input[type=file]").SetInputFilesAsync(new FilePayload
        {
            Name = "devices.csv",
            MimeType = "text/csv",
            Buffer = "deviceId,profile,district,lon,lat,name\nls-ch4-01,gas.underground-methane,370212,120.468,36.107,\"Valve well 1, Haier Rd\"\nls-ch4-02,gas.underground-methane,370212,120.471,36.109,Valve well 2\n"u8.ToArray(),
        });
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        await Assertions.Expect(page.Locator("#devices-message")).ToHaveTextAsync("2 devices registered.");
        await Assertions.Expect(page.Locator("#devices tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#devices tr td[data-district='370212']")).ToHaveTextAsync(["Laoshan (370212)", "Laoshan (370212)"]);

        // The adapter sends with the secret the page showed: one good reading, one with a unit the profile does not know.
        using var adapter = await ClientAsync("laoshan-gas-scada", secret!);
        var result = await PostAsync(adapter, "/v1/telemetry", new { messages = new[] { Methane("ls-1", "ls-ch4-01", 2.5), Methane("ls-2", "ls-ch4-02", 2.5, unit: "ppm-ish") } });
        Assert.Equal(1, result["accepted"]!.GetValue<int>());

        await page.Locator("#quarantine-refresh").ClickAsync();
        var rejected = page.Locator("#quarantine tr[data-message-id='ls-2']");
        await Assertions.Expect(rejected).ToContainTextAsync("unit.unknown");
        await Assertions.Expect(rejected).ToContainTextAsync("/observations/0/unit");
        // A subscription to alert changes over server-sent events, paused from its row.
        await page.Locator("#new-subscription input[name=name]").FillAsync("Laoshan alerts");
        await page.Locator("#new-subscription select[name=channel]").SelectOptionAsync("sse");
        await page.Locator("#new-subscription button[type=submit]").ClickAsync();
        await page.Locator("#subscriptions tr[data-subscription-id], #subscriptions-message:not(:empty)").First.WaitForAsync();
        Assert.Equal("", await page.Locator("#subscriptions-message").TextContentAsync());
        var subscription = page.Locator("#subscriptions tr[data-subscription-id]");
        await Assertions.Expect(subscription).ToContainTextAsync("Laoshan alerts");
        await Assertions.Expect(subscription).ToContainTextAsync("active");
        await Assertions.Expect(subscription).Not.ToContainTextAsync("false");
        await subscription.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Assertions.Expect(subscription).ToContainTextAsync("paused");
        await Browser.ScreenshotAsync(page, "developer-workspace");
        Assert.True(errors.Count == 0, string.Join("\n", errors));

        // Another organization's adapters do not exist for this developer.
        var foreign = await page.EvaluateAsync<int>("async () => (await fetch('/v1/adapters/test-admin')).status");
        Assert.Equal(404, foreign);
    }
}
