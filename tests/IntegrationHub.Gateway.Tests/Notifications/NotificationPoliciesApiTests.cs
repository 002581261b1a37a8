using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Gateway.Tests.ClosedLoop;
using IntegrationHub.Gateway.Tests.Infrastructure;

namespace IntegrationHub.Gateway.Tests.Notifications;

/// <summary>
/// The operator's notification policies (LOOP-009) over HTTP: audited like the routing table, every field checked at
/// once, one policy per domain and level, and a robot a policy uses kept from deletion.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class NotificationPoliciesApiTests() : OwnHub(new() { ["Notifications:AllowedHosts:0"] = "127.0.0.1" })
{
    [Fact]
    public async Task Policy_NamingARobot_KeepsTheRobotUntilItLetsGo()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("policy-gas-office");
        await using var receiver = await WebhookReceiver.StartAsync();
        using var robot = await admin.PostAsJsonAsync("/v1/notification-channels",
            new { name = "燃气办值班群", kind = "wecom", organizationId = "policy-gas-office", url = receiver.Url + "?key=k" });
        var robotId = (await robot.ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<long>();

        using var created = await admin.PostAsJsonAsync("/v1/notification-policies",
            new { name = "燃气红色预警", domain = "gas", level = "red", atRaise = true, atSupervision = true, channels = new[] { "email", "sms" }, robotIds = new[] { robotId } });
        var policy = await created.ShouldBeAsync(HttpStatusCode.Created);
        var policyId = policy["id"]!.GetValue<long>();
        Assert.Equal(["email", "sms"], policy["channels"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal([robotId], policy["robotIds"]!.AsArray().Select(r => r!.GetValue<long>()));
        Assert.Equal("red", (await admin.GetJsonAsync($"/v1/notification-policies/{policyId}"))["level"]!.GetValue<string>());

        using (var refused = await admin.DeleteAsync(new Uri($"/v1/notification-channels/{robotId}", UriKind.Relative)))
        {
            var problem = await refused.ShouldBeProblemAsync(HttpStatusCode.Conflict, "notification-channel.in-use");
            Assert.Contains(policyId.ToString(System.Globalization.CultureInfo.InvariantCulture), problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        using (var updated = await admin.PutAsJsonAsync($"/v1/notification-policies/{policyId}",
            new { name = "燃气红色预警", domain = "gas", level = "red", atRaise = true, channels = new[] { "email" } }))
        {
            var body = await updated.ShouldBeAsync(HttpStatusCode.OK);
            Assert.Empty(body["robotIds"]!.AsArray());
            Assert.False(body["atSupervision"]!.GetValue<bool>());
        }
        using (var deleted = await admin.DeleteAsync(new Uri($"/v1/notification-channels/{robotId}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        var audit = await admin.GetStringAsync(new Uri("/v1/audit?limit=200", UriKind.Relative));
        Assert.Contains("notification-policy.create", audit, StringComparison.Ordinal);
        Assert.Contains("notification-policy.update", audit, StringComparison.Ordinal);

        using (var removed = await admin.DeleteAsync(new Uri($"/v1/notification-policies/{policyId}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }
        await (await admin.GetAsync(new Uri($"/v1/notification-policies/{policyId}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "notification-policy.not-found");
    }

    [Fact]
    public async Task Policy_BadRequest_EveryFieldIsReportedAtOnce()
    {
        using var admin = await Hub.AdminAsync();

        using var response = await admin.PostAsJsonAsync("/v1/notification-policies",
            new { name = " ", domain = "no-such-domain", level = "purple", channels = new[] { "fax" }, robotIds = new[] { 987654 } });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        var pointers = problem["errors"]!.AsArray().Select(e => e!["pointer"]!.GetValue<string>()).ToHashSet();
        Assert.Equal(["/atRaise", "/channels/0", "/domain", "/level", "/name", "/robotIds"], pointers.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Policy_SecondForTheSameDomainAndLevel_IsRefused()
    {
        using var admin = await Hub.AdminAsync();
        using var first = await admin.PostAsJsonAsync("/v1/notification-policies", new { name = "供热", domain = "heating", atRaise = true, channels = new[] { "email" } });
        await first.ShouldBeAsync(HttpStatusCode.Created);

        using var second = await admin.PostAsJsonAsync("/v1/notification-policies", new { name = "供热二", domain = "heating", atSupervision = true, channels = new[] { "sms" } });

        var problem = await second.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        Assert.Equal("/domain", Assert.Single(problem["errors"]!.AsArray())!["pointer"]!.GetValue<string>());
    }

    [Fact]
    public async Task Policies_AnOrganizationWithoutAdminScope_MayNotReadOrManageThem()
    {
        using var unit = await Hub.UnitAsync("policy-tenant");

        using var list = await unit.GetAsync(new Uri("/v1/notification-policies", UriKind.Relative));
        using var create = await unit.PostAsJsonAsync("/v1/notification-policies", new { name = "x", atRaise = true, channels = new[] { "email" } });

        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
    }

    [Fact]
    public async Task QuietHours_SetWithTheContactDetails_AreShownWithThemAndChecked()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("quiet-unit", "department");
        var (officer, _) = await Hub.PersonAsync("quiet-unit", "officer", "Zhao Quiet", phone: "13800000077");
        using (officer)
        {
            using var set = await officer.Http.PutAsJsonAsync("/v1/me/contact", new { phone = "13800000077", quietHours = "22:00-07:00" });
            Assert.Equal("22:00-07:00", (await set.ShouldBeAsync(HttpStatusCode.OK))["quietHours"]!.GetValue<string>());

            using var bad = await officer.Http.PutAsJsonAsync("/v1/me/contact", new { phone = "13800000077", quietHours = "22:00" });
            var problem = await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
            Assert.Equal("/quietHours", Assert.Single(problem["errors"]!.AsArray())!["pointer"]!.GetValue<string>());
        }
    }
}
