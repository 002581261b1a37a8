using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.Notifications;

/// <summary>
/// The operator's management of the units' group robots (LOOP-009) over HTTP: URLs and secrets stored encrypted and never
/// answered, the webhooks' address rules, every field checked at once, a test message to a real receiver.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class NotificationChannelsApiTests() : OwnHub(new() { ["Notifications:AllowedHosts:0"] = "127.0.0.1" })
{
    private const string Secret = "SEC7d1c0f3e9a4b5c6d7e8f90123456789abcdef0123456789abcdef012345678";

    [Fact]
    public async Task Robot_RegisteredAndTested_ReachesTheReceiverSignedAndIsNeverShown()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("robot-gas-office");
        await using var robot = await WebhookReceiver.StartAsync();
        robot.Answer = _ => new ReceiverAnswer(200) { Body = """{"errcode":0,"errmsg":"ok"}""" };
        var url = robot.Url + "?access_token=ding-token-0042";

        using var created = await admin.PostAsJsonAsync("/v1/notification-channels",
            new { name = "市南区燃气办值班群", kind = "dingtalk", organizationId = "robot-gas-office", url, secret = Secret });
        var body = await created.ShouldBeAsync(HttpStatusCode.Created);
        var id = body["id"]!.GetValue<long>();
        Assert.Equal("dingtalk", body["kind"]!.GetValue<string>());
        Assert.Equal("127.0.0.1", body["host"]!.GetValue<string>());
        Assert.True(body["signed"]!.GetValue<bool>());

        var listed = await admin.GetStringAsync(new Uri("/v1/notification-channels", UriKind.Relative));
        Assert.Contains("市南区燃气办值班群", listed, StringComparison.Ordinal);
        Assert.DoesNotContain("ding-token-0042", listed, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, listed, StringComparison.Ordinal);
        var audit = await admin.GetStringAsync(new Uri("/v1/audit?limit=200", UriKind.Relative));
        Assert.Contains("notification-channel.create", audit, StringComparison.Ordinal);
        Assert.DoesNotContain("ding-token-0042", audit, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, audit, StringComparison.Ordinal);
        await using (var scope = Hub.Services.CreateAsyncScope())
        {
            var row = await scope.ServiceProvider.GetRequiredService<HubDb>().NotificationRobots.AsNoTracking().SingleAsync(r => r.Id == id, TestContext.Current.CancellationToken);
            Assert.DoesNotContain("ding-token-0042", row.ProtectedUrl, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, row.ProtectedSecret!, StringComparison.Ordinal);
        }

        using var tested = await admin.PostAsync(new Uri($"/v1/notification-channels/{id}/test", UriKind.Relative), null);
        var result = await tested.ShouldBeAsync(HttpStatusCode.OK);
        Assert.True(result["sent"]!.GetValue<bool>(), result.ToJsonString());
        var request = Assert.Single(robot.Requests);
        var query = request.Path[(request.Path.IndexOf('?', StringComparison.Ordinal) + 1)..].Split('&')
            .Select(p => p.Split('=')).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));
        Assert.Equal("ding-token-0042", query["access_token"]);
        Assert.Equal(Hub.Time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), query["timestamp"]);
        Assert.Equal(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{query["timestamp"]}\n{Secret}")), Convert.FromBase64String(query["sign"]));
        using var message = JsonDocument.Parse(request.Body);
        Assert.Contains("市南区燃气办值班群", message.RootElement.GetProperty("markdown").GetProperty("text").GetString(), StringComparison.Ordinal);

        using var deleted = await admin.DeleteAsync(new Uri($"/v1/notification-channels/{id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await admin.GetAsync(new Uri($"/v1/notification-channels/{id}", UriKind.Relative));
        await gone.ShouldBeProblemAsync(HttpStatusCode.NotFound, "notification-channel.not-found");
    }

    [Fact]
    public async Task Robot_UrlReplaced_TheNextMessageGoesToTheNewOneAndTheSecretIsKept()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("robot-water-office");
        await using var old = await WebhookReceiver.StartAsync();
        await using var replacement = await WebhookReceiver.StartAsync();
        replacement.Answer = _ => new ReceiverAnswer(200) { Body = """{"errcode":0,"errmsg":"ok"}""" };
        using var created = await admin.PostAsJsonAsync("/v1/notification-channels",
            new { name = "水务值班群", kind = "wecom", organizationId = "robot-water-office", url = old.Url + "?key=old" });
        var id = (await created.ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<long>();

        using var updated = await admin.PutAsJsonAsync($"/v1/notification-channels/{id}", new { url = replacement.Url + "?key=new" });
        Assert.Equal("水务值班群", (await updated.ShouldBeAsync(HttpStatusCode.OK))["name"]!.GetValue<string>());
        using var tested = await admin.PostAsync(new Uri($"/v1/notification-channels/{id}/test", UriKind.Relative), null);

        Assert.True((await tested.ShouldBeAsync(HttpStatusCode.OK))["sent"]!.GetValue<bool>());
        Assert.Empty(old.Requests);
        Assert.Equal("/hook?key=new", Assert.Single(replacement.Requests).Path);
    }

    [Fact]
    public async Task Robot_RobotRefuses_TheTestAnswersWhy()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("robot-heat-office");
        await using var robot = await WebhookReceiver.StartAsync();
        robot.Answer = _ => new ReceiverAnswer(200) { Body = """{"errcode":310000,"errmsg":"sign not match"}""" };
        using var created = await admin.PostAsJsonAsync("/v1/notification-channels",
            new { name = "供热值班群", kind = "dingtalk", organizationId = "robot-heat-office", url = robot.Url + "?access_token=t", secret = "SECwrong" });
        var id = (await created.ShouldBeAsync(HttpStatusCode.Created))["id"]!.GetValue<long>();

        using var tested = await admin.PostAsync(new Uri($"/v1/notification-channels/{id}/test", UriKind.Relative), null);

        var result = await tested.ShouldBeAsync(HttpStatusCode.OK);
        Assert.False(result["sent"]!.GetValue<bool>());
        Assert.Contains("errcode 310000", result["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://10.20.30.40/robot/send?access_token=t")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("http://oapi.dingtalk.example/robot/send?access_token=t")]
    public async Task Robot_UrlInsideTheCityNetwork_IsRefused(string url)
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("robot-ssrf-office");

        using var response = await admin.PostAsJsonAsync("/v1/notification-channels", new { name = "内网", kind = "dingtalk", organizationId = "robot-ssrf-office", url });

        await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "notification-channel.url-refused");
        Assert.DoesNotContain("内网", await admin.GetStringAsync(new Uri("/v1/notification-channels", UriKind.Relative)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Robot_BadRequest_EveryFieldIsReportedAtOnce()
    {
        using var admin = await Hub.AdminAsync();

        using var response = await admin.PostAsJsonAsync("/v1/notification-channels",
            new { name = " ", kind = "wecom", organizationId = "no-such-unit", url = "not a url", secret = "SECx" });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        var pointers = problem["errors"]!.AsArray().Select(e => e!["pointer"]!.GetValue<string>()).ToHashSet();
        Assert.Equal(["/name", "/organizationId", "/secret", "/url"], pointers.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Robots_AnOrganizationWithoutAdminScope_MayNotReadOrManageThem()
    {
        using var tenant = await Hub.TenantAsync("robot-tenant", "robot-tenant-ch4");

        using var list = await tenant.GetAsync(new Uri("/v1/notification-channels", UriKind.Relative));
        using var create = await tenant.PostAsJsonAsync("/v1/notification-channels", new { name = "x", kind = "wecom", organizationId = "robot-tenant", url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k" });

        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
    }
}
