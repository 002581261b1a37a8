using System.Net.Http.Json;
using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>The operator creates an organization with its first administrator, and promotes a certified adapter to production.</summary>
public sealed class AdministrationTests : PortalHub
{
    [Fact]
    public async Task Operator_CreatesAnOrganizationWithItsFirstAdmin_AndPromotesAnAdapterToProduction()
    {
        using var admin = await AdminAsync();
        await PostAsync(admin, "/v1/organizations", new { id = "jimo-water", name = "Jimo Water", kind = "enterprise" });
        await PostAsync(admin, "/v1/organizations/jimo-water/adapters", new { id = "jimo-water-scada", name = "Jimo SCADA" });
        await PostAsync(admin, "/v1/organizations/jimo-water/adapters", new { id = "jimo-water-meters", name = "Jimo meters" });
        // The operator's override, as if its certification had passed.
        using (var certified = await admin.PutAsJsonAsync("/v1/adapters/jimo-water-scada/status", new { status = "certified", note = "certified on site" }))
        {
            certified.EnsureSuccessStatusCode();
        }
        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress);
        await page.GotoAsync("/console/organizations?lang=en");
        await page.Locator("#email").FillAsync(OperatorEmail);
        await page.Locator("#password").FillAsync(OperatorPassword);
        await page.Locator("form button[type=submit]").ClickAsync();
        await page.WaitForURLAsync("**/console/organizations**");

        var form = page.Locator("#new-organization");
        await form.Locator("input[name=id]").FillAsync("chengyang");
        await form.Locator("input[name=name]").FillAsync("Chengyang District");
        await form.Locator("select[name=kind]").SelectOptionAsync("district");
        await form.Locator("input[name=areaCode]").FillAsync("370214");
        await form.Locator("input[name=adminName]").FillAsync("Li Na");
        await form.Locator("input[name=adminEmail]").FillAsync("li.na@chengyang.example.cn");
        await form.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Assertions.Expect(page.Locator("#invitation-link")).ToContainTextAsync("/account/invitation?token=");
        await Assertions.Expect(page.Locator("#organizations tr[data-organization-id=chengyang]")).ToContainTextAsync("370214");

        await page.Locator("#organizations tr[data-organization-id=jimo-water] button").ClickAsync();
        var adapter = page.Locator("#adapters tr[data-adapter-id=jimo-water-scada]");
        await Assertions.Expect(adapter).ToHaveAttributeAsync("data-status", "certified");
        await Assertions.Expect(page.Locator("#adapters tr[data-adapter-id=jimo-water-meters] button")).ToHaveCountAsync(0); // not certified yet
        await adapter.Locator("button[data-promote=production]").ClickAsync();
        await Assertions.Expect(adapter).ToHaveAttributeAsync("data-status", "production");
        await Browser.ScreenshotAsync(page, "administration");
        Assert.True(errors.Count == 0, string.Join("\n", errors));

        var stored = await Hub.QueryAsync(db => Task.FromResult(db.Users.Single(u => u.Email == "li.na@chengyang.example.cn")));
        Assert.Equal(("chengyang", "Admin", "Invited"), (stored.OrganizationId, stored.Role.ToString(), stored.Status.ToString()));
    }
}
