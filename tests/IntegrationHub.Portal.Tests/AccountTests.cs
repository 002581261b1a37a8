using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>
/// An organization's admin resets a developer's password from the people list; the developer, in Chinese, chooses a
/// new one with the link, changes it again on the account page, and signs out. Each step ends the sessions it should.
/// </summary>
public sealed class AccountTests : PortalHub
{
    [Fact]
    public async Task Admin_ResetsAPassword_ThePersonChangesIt_AndSignsOut_EndingTheSessionsEachStepShould()
    {
        using var admin = await AdminAsync();
        await PostAsync(admin, "/v1/organizations", new { id = "huangdao-heat", name = "Huangdao Heating Co.", kind = "enterprise" });
        var adminInvitation = await PostAsync(admin, "/v1/users", new { email = "admin@huangdao-heat.example.cn", name = "Zhao Min", role = "admin", organizationId = "huangdao-heat" });
        var developerInvitation = await PostAsync(admin, "/v1/users", new { email = "dev@huangdao-heat.example.cn", name = "Sun Tao", role = "developer", organizationId = "huangdao-heat" });
        var developerId = developerInvitation["user"]!["id"]!.GetValue<string>();
        var (developer, developerErrors) = await Browser.OpenAsync(Hub.BaseAddress, "zh-CN");
        await ChoosePasswordAsync(developer, developerInvitation["invitationUrl"]!.GetValue<string>(), "first developer password");
        var (organizationAdmin, adminErrors) = await Browser.OpenAsync(Hub.BaseAddress);
        await ChoosePasswordAsync(organizationAdmin, adminInvitation["invitationUrl"]!.GetValue<string>(), "organization admin password");

        // The admin resets the developer's password from the people list, and gets the link to pass on.
        organizationAdmin.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        var row = organizationAdmin.Locator($"#people-rows tr[data-user-id='{developerId}']");
        await row.GetByRole(AriaRole.Button, new() { Name = "Reset password" }).ClickAsync();
        await Assertions.Expect(organizationAdmin.Locator("#invitation-link")).ToContainTextAsync("/account/password-reset?token=");
        await Assertions.Expect(organizationAdmin.Locator("#invitation-text")).ToContainTextAsync("dev@huangdao-heat.example.cn");
        var resetLink = (await organizationAdmin.Locator("#invitation-link").TextContentAsync())!;
        await Browser.ScreenshotAsync(organizationAdmin, "password-reset");

        // The developer's session ended with the reset; the link sets a new password and signs the developer in.
        await developer.ReloadAsync();
        await developer.WaitForURLAsync("**/account/sign-in**");
        await ChoosePasswordAsync(developer, resetLink, "second developer password");
        var (elsewhere, _) = await Browser.OpenAsync(Hub.BaseAddress, "zh-CN");
        await SignInAsync(elsewhere, "dev@huangdao-heat.example.cn", "second developer password");

        // On the account page, in Chinese: a wrong current password is refused; the right one changes it.
        await developer.GetByRole(AriaRole.Link, new() { Name = "我的账户" }).ClickAsync();
        await developer.WaitForURLAsync("**/account");
        await Assertions.Expect(developer.Locator("#who")).ToContainTextAsync("dev@huangdao-heat.example.cn");
        await developer.GetByLabel("当前密码").FillAsync("not the password at all");
        await developer.GetByLabel("新密码", new() { Exact = true }).FillAsync("third developer password");
        await developer.GetByLabel("再次输入新密码").FillAsync("third developer password");
        await developer.GetByRole(AriaRole.Button, new() { Name = "修改密码" }).ClickAsync();
        await Assertions.Expect(developer.Locator("#password-message")).ToHaveTextAsync("当前密码错误，或因连续失败次数过多，账户已被暂时锁定。");
        await developer.GetByLabel("当前密码").FillAsync("second developer password");
        await developer.GetByRole(AriaRole.Button, new() { Name = "修改密码" }).ClickAsync();
        await Assertions.Expect(developer.Locator("#password-message")).ToHaveTextAsync("密码已修改，您在其他浏览器中的登录已结束。");
        await Browser.ScreenshotAsync(developer, "account");

        // The other browser's session ended; this one goes on until the developer signs out, and then it is over.
        await elsewhere.GotoAsync("/developer");
        await elsewhere.WaitForURLAsync("**/account/sign-in**");
        await developer.GotoAsync("/developer");
        await Assertions.Expect(developer.Locator("#who")).ToContainTextAsync("huangdao-heat");
        await developer.GetByRole(AriaRole.Button, new() { Name = "退出登录" }).ClickAsync();
        await developer.WaitForURLAsync(Hub.BaseAddress.ToString());
        await developer.GotoAsync("/developer");
        await developer.WaitForURLAsync("**/account/sign-in**");
        await SignInAsync(developer, "dev@huangdao-heat.example.cn", "third developer password");

        // Refused requests are part of the story (the wrong current password); nothing else failed.
        Assert.True(developerErrors.All(e => e.Contains("/v1/me/password", StringComparison.Ordinal)), string.Join("\n", developerErrors));
        Assert.True(adminErrors.Count == 0, string.Join("\n", adminErrors));
    }

    private static async Task ChoosePasswordAsync(IPage page, string link, string password)
    {
        await page.GotoAsync(link);
        await page.Locator("#password").FillAsync(password);
        await page.Locator("#confirm").FillAsync(password);
        await page.Locator("form.stacked button[type=submit]").ClickAsync();
        await page.WaitForURLAsync("**/developer");
    }

    private static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/account/sign-in?returnUrl=/developer");
        await page.Locator("#email").FillAsync(email);
        await page.Locator("#password").FillAsync(password);
        await page.Locator("form.stacked button[type=submit]").ClickAsync();
        await page.WaitForURLAsync("**/developer");
    }
}
