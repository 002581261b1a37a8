using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Cluster;
using IntegrationHub.Gateway.SourceHealth;
using IntegrationHub.Gateway.Tests.Alerts;
using IntegrationHub.Gateway.Tests.ClosedLoop;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.SourceHealth;

/// <summary>
/// The <c>system</c> rules (HLT-003, HLT-004): an adapter whose devices all stop reporting, and a district whose online rate
/// collapses, raise alerts that run the loop of every alert (routed by the domain <c>system</c>, acknowledged, valid events,
/// CAP), and clear when the sources report again. Each test judges the rules itself at the moments it chooses, as the
/// leader's job does every minute; the job's own tick is an hour away.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class SystemAlertTests() : OwnHub(new()
{
    ["Auth:AccessTokenLifetime"] = "1.00:00:00",
    ["SourceHealth:CheckInterval"] = "01:00:00",
    ["SourceHealth:OnlineRateMinimumDevices"] = "3",
    // These tests read each change at once, on a clock that does not move: every call measures (SourceHealthCacheTests test the cache).
    ["SourceHealth:CacheFor"] = "00:00:00",
})
{
    private Task CheckAsync() =>
        Hub.Services.GetRequiredService<SystemAlerts>().CheckAsync(Hub.Services.GetRequiredService<Leadership>().Term, TestContext.Current.CancellationToken);

    private DateTimeOffset Ago(double minutes) => Hub.Time.GetUtcNow().AddMinutes(-minutes);

    private async Task<HttpClient> SourceAsync(string organizationId, string district, params string[] devices)
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(organizationId);
        var (id, secret) = await admin.CreateAdapterAsync(organizationId, organizationId + "-adapter", scopes: ["telemetry:write", "telemetry:read", "alerts:read"]);
        await (await admin.PutAsJsonAsync($"/v1/adapters/{id}/status", new { status = "production" })).ShouldBeAsync(HttpStatusCode.OK);
        foreach (var device in devices)
        {
            await admin.RegisterDeviceAsync(id, device, district: district);
        }
        return Hub.As(await Hub.TokenAsync(id, secret));
    }

    private async Task ReportAsync(HttpClient client, params string[] devices)
    {
        using var sent = await client.PostBatchAsync([.. devices.Select(d => HubClient.Methane($"{d}-{Guid.NewGuid():N}", d, time: Ago(0.5)))]);
        Assert.Equal(devices.Length, (await sent.ShouldBeAsync(HttpStatusCode.OK))["accepted"]!.GetValue<int>());
    }

    private static async Task<List<JsonNode>> SystemAlertsAsync(HttpClient client, string rule) =>
        [.. (await client.GetJsonAsync("/v1/alerts?domain=system"))["items"]!.AsArray().Where(a => a!["ruleId"]!.GetValue<string>() == rule).Select(a => a!)];

    [Fact]
    public async Task AnAdapterWhoseDevicesStopReporting_RaisesASystemAlertAfterKIntervals_RoutedAndHandled_ThatClearsWhenTheyReportAgain()
    {
        using var admin = await Hub.AdminAsync();
        using var desk = await Hub.UnitAsync("duty-desk");
        using (var route = await admin.PostAsJsonAsync("/v1/routes", new { domain = "system", district = "370202", organizationId = "duty-desk", role = "lead" }))
        {
            await route.ShouldBeAsync(HttpStatusCode.Created);
        }
        using var owner = await SourceAsync("quiet-gas", "370202", "qg-1", "qg-2");
        await ReportAsync(owner, "qg-1", "qg-2");

        // Methane terminals report every 15 minutes: k = 3 intervals is 45 minutes without data.
        Hub.Time.Advance(TimeSpan.FromMinutes(44));
        await CheckAsync();
        Assert.Empty(await SystemAlertsAsync(admin, "system.adapter-silent"));
        Hub.Time.Advance(TimeSpan.FromMinutes(2));
        await CheckAsync();
        await CheckAsync();
        var listed = Assert.Single(await SystemAlertsAsync(admin, "system.adapter-silent"));
        Assert.Equal(("quiet-gas-adapter", "orange", "system", "370202"),
            (listed["deviceId"]!.GetValue<string>(), listed["level"]!.GetValue<string>(), listed["domain"]!.GetValue<string>(), listed["district"]!.GetValue<string>()));
        var id = listed["id"]!.GetValue<long>();
        // The adapter's organization sees the alert about its adapter; the route made the duty desk its unit.
        Assert.Single(await SystemAlertsAsync(owner, "system.adapter-silent"));
        var alert = (await admin.GetJsonAsync($"/v1/alerts/{id}"))["alert"]!;
        Assert.Equal([("duty-desk", "lead", "routed")], LoopClient.Units(alert));
        await desk.PostOkAsync($"/v1/alerts/{id}/units/duty-desk/acknowledge", new { note = "calling the gas company's platform team" });

        using (var cap = await admin.GetAsync(new Uri($"/v1/alerts/{id}/cap", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, cap.StatusCode);
            var xml = await cap.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.Contains("接入系统中断", xml, StringComparison.Ordinal);
            // An adapter is no monitoring device: the headline and the description name it as what it is.
            Assert.Contains("<headline>市南区接入系统 quiet-gas-adapter 接入系统中断", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("监测设备", xml, StringComparison.Ordinal);
            Assert.Contains(">Infra<", xml, StringComparison.Ordinal);
            // For the duty desk, not for the public or the emergency systems downstream.
            Assert.Contains("<status>System</status>", xml, StringComparison.Ordinal);
            Assert.Contains("<scope>Restricted</scope>", xml, StringComparison.Ordinal);
            CapFormatTests.Validate(System.Xml.Linq.XDocument.Parse(xml), CapFormatTests.CapSchemas(), "a system alert's CAP");
        }
        var feed = await admin.GetStringAsync(new Uri("/v1/alerts/feed", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.DoesNotContain($"/v1/alerts/{id}/cap", feed, StringComparison.Ordinal);
        // Nor is it part of the city's situation: the alert statistics do not count it.
        var range = $"from={Uri.EscapeDataString(Ago(24 * 60).ToString("O"))}&to={Uri.EscapeDataString(Ago(-1).ToString("O"))}";
        Assert.Empty((await admin.GetJsonAsync($"/v1/alerts/statistics?bucket=hour&domain=system&{range}"))["items"]!.AsArray());

        // One device reporting again ends the silence of the adapter.
        await ReportAsync(owner, "qg-1");
        await CheckAsync();
        var detail = await admin.GetJsonAsync($"/v1/alerts/{id}");
        Assert.Equal((true, "acknowledged"), (detail["alert"]!["cleared"]!.GetValue<bool>(), detail["alert"]!["state"]!.GetValue<string>()));
        Assert.Equal(["raised", "unit.acknowledged", "cleared"], detail["history"]!.AsArray().Select(h => h!["kind"]!.GetValue<string>()).Where(k => k is "raised" or "unit.acknowledged" or "cleared"));
        var events = (await AlertEventTests.AlertEventsAsync(Hub, "quiet-gas")).Select(e => AlertEventTests.AssertValid(e, "hub")).ToList();
        Assert.Contains(events, e => e.GetProperty("transition").GetString() == "raised" && e.GetProperty("rule").GetProperty("kind").GetString() == "system");
        Assert.Contains(events, e => e.GetProperty("transition").GetString() == "cleared" && e.GetProperty("rule").GetProperty("id").GetString() == "system.adapter-silent");
    }

    [Fact]
    public async Task AnOnlineRateBelowItsFloor_RaisesASystemAlertForTheDistrictAndDomain_ThatClearsWhenTheDevicesReturn()
    {
        using var admin = await Hub.AdminAsync();
        using var quiet = await SourceAsync("rate-quiet", "370212", "rq-1", "rq-2", "rq-3");
        using var steady = await SourceAsync("rate-steady", "370212", "rs-1");
        await ReportAsync(quiet, "rq-1", "rq-2", "rq-3");
        await ReportAsync(steady, "rs-1");
        await CheckAsync();
        Assert.Empty(await SystemAlertsAsync(admin, "system.online-rate"));

        Hub.Time.Advance(TimeSpan.FromMinutes(46));
        await ReportAsync(steady, "rs-1");
        await CheckAsync();
        // One of four online: 25 %, below the floor of 50 %.
        var listed = Assert.Single(await SystemAlertsAsync(admin, "system.online-rate"));
        Assert.Equal(("370212/gas", "370212"), (listed["deviceId"]!.GetValue<string>(), listed["district"]!.GetValue<string>()));
        // The leader's last check is on /metrics as gauges.
        using (var scraper = Hub.CreateClient())
        {
            var metrics = await scraper.GetStringAsync(new Uri("/metrics", UriKind.Relative), TestContext.Current.CancellationToken);
            Assert.Contains(metrics.Split('\n'), line => line.StartsWith("ihub_sources_online_rate", StringComparison.Ordinal) && line.Contains("district=\"370212\"", StringComparison.Ordinal) && line.Contains(" 0.25", StringComparison.Ordinal));
        }
        // The steady enterprise does not read the city's alert; the quiet one reads the one about its own adapter only.
        Assert.Empty(await SystemAlertsAsync(steady, "system.online-rate"));
        Assert.Empty(await SystemAlertsAsync(quiet, "system.online-rate"));
        Assert.Single(await SystemAlertsAsync(quiet, "system.adapter-silent"));

        await ReportAsync(quiet, "rq-1", "rq-2");
        await CheckAsync();
        var rates = (await admin.GetJsonAsync("/v1/health/online-rate?district=370212"))["items"]![0]!;
        Assert.Equal((4, 3), (rates["registered"]!.GetValue<int>(), rates["online"]!.GetValue<int>()));
        Assert.True((await admin.GetJsonAsync($"/v1/alerts/{listed["id"]}"))["alert"]!["cleared"]!.GetValue<bool>());
    }
    [Fact]
    public async Task ADashboardStreamWithNoClientConnected_IsNotTheHubFallingBehind()
    {
        using var admin = await Hub.AdminAsync();
        // A district's dashboard subscribes over SSE and is closed; its lane stays where it was while events go on.
        using (var subscribed = await admin.PostAsJsonAsync("/v1/subscriptions", new { name = "Dashboard", channel = "sse" }, TestContext.Current.CancellationToken))
        {
            await subscribed.ShouldBeAsync(HttpStatusCode.Created);
        }
        using var source = await SourceAsync("lag-quiet", "370203", "lq-1");
        await ReportAsync(source, "lq-1");

        Hub.Time.Advance(TimeSpan.FromMinutes(10));
        await ReportAsync(source, "lq-1");
        await CheckAsync();

        Assert.Empty(await SystemAlertsAsync(admin, "system.outbox-lag"));
    }
}
