using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Gateway.Tests.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.ClosedLoop;

/// <summary>
/// What routing costs the alert engine's pass, whose transaction holds the write lock that ingest waits for: the reference
/// data a raise is routed by is read once per pass, not once per alert raised.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class RoutingCostTests
{
    // The district governments' query of AlertRouting, and only it (PostgreSQL leaves lower-case names unquoted).
    private static readonly string[] DistrictQuery = ["organizations", "\"AreaCode\" IS NOT NULL"];

    [Fact]
    public async Task APassRaisingAlertsInTwoDistricts_ReadsTheDistrictGovernmentsOnce_AndRoutesEachAlertToItsOwn()
    {
        await using var hub = new CommandLogHub();
        hub.StartServer();
        using var admin = await hub.AdminAsync();
        (await hub.UnitAsync("cost-laoshan", areaCode: "370212")).Dispose();
        (await hub.UnitAsync("cost-licang", areaCode: "370213")).Dispose();
        using (var route = await admin.PostAsJsonAsync("/v1/routes", new { domain = "gas", target = "district", role = "lead" }, TestContext.Current.CancellationToken))
        {
            await route.ShouldBeAsync(HttpStatusCode.Created);
        }
        using var owner = await hub.OwnerAsync("cost-owner", "cost-1", district: "370212");
        var adapter = (await admin.GetJsonAsync("/v1/organizations/cost-owner/adapters")).AsArray()[0]!["id"]!.GetValue<string>();
        await admin.RegisterDeviceAsync(adapter, "cost-2", district: "370213");
        await admin.RegisterDeviceAsync(adapter, "cost-3", district: "370212");
        await hub.CaughtUpAsync();
        var before = hub.Count(DistrictQuery);

        // One batch, one commit, one pass: three red readings raise three alerts in it.
        var at = hub.Time.GetUtcNow().AddMinutes(-1);
        using (var response = await owner.PostBatchAsync([.. new[] { "cost-1", "cost-2", "cost-3" }.Select(d => Methane($"{d}-red", d, 60, time: at))]))
        {
            await response.ShouldBeAsync(HttpStatusCode.OK);
        }
        await hub.CaughtUpAsync();

        Assert.Equal(1, hub.Count(DistrictQuery) - before);
        foreach (var (device, district, other) in new[] { ("cost-1", "cost-laoshan", "cost-licang"), ("cost-2", "cost-licang", "cost-laoshan"), ("cost-3", "cost-laoshan", "cost-licang") })
        {
            var id = (await owner.AlertsAsync(device)).Single()["id"]!.GetValue<long>();
            var units = LoopClient.Units((await admin.GetJsonAsync($"/v1/alerts/{id}"))["alert"]!).Select(u => u.Organization).ToList();
            Assert.Contains(district, units);
            Assert.DoesNotContain(other, units);
        }
    }
}
