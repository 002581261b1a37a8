using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Gateway.Tests.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
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

    [Fact]
    public async Task APassRaisingARoutedAlertThatNotifies_ReadsNothingInsideItsWriteTransaction_AndCommitsItAllTogether()
    {
        await using var hub = new CommandLogHub();
        hub.StartServer();
        using var admin = await hub.AdminAsync();
        (await hub.UnitAsync("save-fire")).Dispose();
        using (var route = await admin.PostAsJsonAsync("/v1/routes", new { domain = "gas", district = "370202", organizationId = "save-fire", role = "lead" }, TestContext.Current.CancellationToken))
        {
            await route.ShouldBeAsync(HttpStatusCode.Created);
        }
        var (lead, leadId) = await hub.PersonAsync("save-fire", "lead", "Sun Lead", phone: "13800000001");
        lead.Dispose();
        using (var policy = await admin.PostAsJsonAsync("/v1/notification-policies", new { name = "燃气", domain = "gas", atRaise = true, channels = new[] { "email", "sms" } }, TestContext.Current.CancellationToken))
        {
            await policy.ShouldBeAsync(HttpStatusCode.Created);
        }
        using var owner = await hub.OwnerAsync("save-owner", "save-1", district: "370202");
        var adapter = (await admin.GetJsonAsync("/v1/organizations/save-owner/adapters")).AsArray()[0]!["id"]!.GetValue<string>();
        await admin.RegisterDeviceAsync(adapter, "save-2", district: "370202");
        await hub.RaiseAsync(owner, "save-1");

        // The second raise: routed to the unit, its lead told by e-mail and SMS.
        var alert = await hub.RaiseAsync(owner, "save-2");
        var id = alert["id"]!.GetValue<long>();
        Assert.Equal("save-fire", Assert.Single(LoopClient.Units(alert)).Organization);
        var told = await hub.QueryAsync(db => db.Notifications.Where(n => n.AlertId == id).Select(n => n.UserId).ToListAsync());
        Assert.Equal([leadId, leadId], told);

        // Its pass's transaction, which holds SQLite's one write lock, wrote the alert, its step, unit, event and
        // notifications, and read nothing but the newest CAP identifier, which must be read under the outbox lock
        // (CAP-005): every other read was made before it began. (PostgreSQL's cluster takes its locks and fence there.)
        var statements = hub.TransactionsWith("INSERT INTO", "alert_units")[^1]
            .SelectMany(c => c.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        foreach (var table in new[] { "alerts", "alert_events", "alert_units", "outbox", "notifications" })
        {
            Assert.Contains(statements, s => s.StartsWith("INSERT INTO", StringComparison.Ordinal) && (s.Contains($"INSERT INTO {table} ", StringComparison.Ordinal) || s.Contains($"INSERT INTO \"{table}\" ", StringComparison.Ordinal)));
        }
        string[] writes = TestStorage.IsPostgreSql ? ["INSERT", "UPDATE", "DELETE", "SELECT pg_advisory_xact_lock", "SELECT \"Term\", set_config"] : ["INSERT", "UPDATE", "DELETE"];
        Assert.All(statements.Where(s => !s.Contains("\"CapIdentifier\" IS NOT NULL", StringComparison.Ordinal)),
            s => Assert.True(writes.Any(w => s.StartsWith(w, StringComparison.Ordinal)), s));
    }
}
