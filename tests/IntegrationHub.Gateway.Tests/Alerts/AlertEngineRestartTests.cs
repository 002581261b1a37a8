using System.Net;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Alerts;

/// <summary>The engine keeps rule memories in memory between passes; a restarted hub goes on from what it committed.</summary>
public sealed class AlertEngineRestartTests
{
    [Fact]
    public async Task Restart_ResumesEveryRuleWhereItStopped()
    {
        string dataDirectory;
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        await using (var first = new HubFactory())
        {
            first.StartServer();
            dataDirectory = first.DataDirectory;
            using var client = await first.TenantAsync("restart", "ch4-1", scopes: ["telemetry:write", "alerts:read"]);
            // Blue needs two samples at or above 5 %LEL: the first comes before the restart.
            using var response = await client.PostBatchAsync(Methane("m1", "ch4-1", 6, time: start));
            await response.ShouldBeAsync(HttpStatusCode.OK);
            await first.Services.GetRequiredService<AlertEngine>().CaughtUpAsync(TestContext.Current.CancellationToken);
            Assert.Empty((await client.GetJsonAsync("/v1/alerts?device=ch4-1"))["items"]!.AsArray());
        }

        await using var second = new HubFactory(dataDirectory, []);
        second.StartServer();
        using var admin = await second.AdminAsync();
        using var tenant = second.As(await second.TokenAsync("restart-adapter", await SecretAsync(admin)));
        var engine = second.Services.GetRequiredService<AlertEngine>();

        // An observation older than the one judged before the restart is stored but not judged (RULE-002)...
        using (var older = await tenant.PostBatchAsync(Methane("m0", "ch4-1", 60, time: start.AddMinutes(-5))))
        {
            await older.ShouldBeAsync(HttpStatusCode.OK);
        }
        await engine.CaughtUpAsync(TestContext.Current.CancellationToken);
        Assert.Empty((await tenant.GetJsonAsync("/v1/alerts?device=ch4-1"))["items"]!.AsArray());

        // ... and the next one completes blue's run, begun before the restart.
        using (var next = await tenant.PostBatchAsync(Methane("m2", "ch4-1", 6, time: start.AddMinutes(5))))
        {
            await next.ShouldBeAsync(HttpStatusCode.OK);
        }
        await engine.CaughtUpAsync(TestContext.Current.CancellationToken);

        var alert = Assert.Single((await tenant.GetJsonAsync("/v1/alerts?device=ch4-1"))["items"]!.AsArray(), a => a!["ruleId"]!.GetValue<string>() == "ch4-level");
        Assert.Equal("blue", alert!["level"]!.GetValue<string>());
    }

    /// <summary>A new secret for the tenant's adapter: the first hub's token died with it.</summary>
    private static async Task<string> SecretAsync(HttpClient admin)
    {
        using var response = await admin.PostAsync(new Uri("/v1/adapters/restart-adapter/secret", UriKind.Relative), null);
        return (await response.ShouldBeAsync(HttpStatusCode.OK))["clientSecret"]!.GetValue<string>();
    }
}
