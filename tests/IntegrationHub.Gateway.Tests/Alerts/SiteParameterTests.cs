using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Alerts;

public sealed class SiteParameterTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private static readonly string[] Managing = ["telemetry:write", "telemetry:read", "alerts:read", "alerts:manage"];

    private HubFactory Hub => fixture.Hub;

    private async Task<double> StoredCh4Async(HttpClient client, string organizationId, string deviceId, double vol)
    {
        var messageId = HubFixture.Unique("m");
        using var response = await client.PostBatchAsync(Methane(messageId, deviceId, vol, "%{vol}"));
        await response.ShouldBeAsync(HttpStatusCode.OK);
        return await Hub.QueryAsync(db => db.Observations.Where(o => o.OrganizationId == organizationId && o.DeviceId == deviceId).OrderByDescending(o => o.Id).Select(o => o.Number!.Value).FirstAsync());
    }

    [Fact]
    public async Task DeviceOverGroupOverDistrict_OverProfileDefault()
    {
        var org = HubFixture.Unique("site");
        using var client = await Hub.TenantAsync(org, "plain", scopes: Managing);
        using var admin = await Hub.AdminAsync();
        using (var grouped = await admin.PostAsJsonAsync($"/v1/adapters/{org}-adapter/devices", new { deviceId = "grouped", profile = "gas.underground-methane", group = "section-7", district = "370202", location = new { lon = 120.3, lat = 36.0 } }))
        {
            await grouped.ShouldBeAsync(HttpStatusCode.Created);
        }

        // Profile default: LEL 5 %vol, so 0.22 %vol is 4.4 %LEL.
        Assert.Equal(4.4, await StoredCh4Async(client, org, "plain", 0.22), 6);

        using (var district = await admin.PutAsJsonAsync("/v1/parameter-overrides", new { scope = "district", key = "370200", profile = "gas.underground-methane", parameters = new { lelVolPercent = 4.4 } }))
        {
            await district.ShouldBeAsync(HttpStatusCode.OK);
        }
        Assert.Equal(5.0, await StoredCh4Async(client, org, "plain", 0.22), 6);

        using (var group = await client.PutAsJsonAsync("/v1/parameter-overrides", new { scope = "group", key = "section-7", profile = "gas.underground-methane", parameters = new { lelVolPercent = 5.0 } }))
        {
            await group.ShouldBeAsync(HttpStatusCode.OK);
        }
        Assert.Equal(4.4, await StoredCh4Async(client, org, "grouped", 0.22), 6);
        Assert.Equal(5.0, await StoredCh4Async(client, org, "plain", 0.22), 6);

        using (var own = await client.PutAsJsonAsync($"/v1/organizations/{org}/devices/grouped/parameters", new { parameters = new { lelVolPercent = 4.4 } }))
        {
            await own.ShouldBeAsync(HttpStatusCode.OK);
        }
        Assert.Equal(5.0, await StoredCh4Async(client, org, "grouped", 0.22), 6);

        using var cleanup = await admin.GetAsync(new Uri("/v1/parameter-overrides", UriKind.Relative));
        var districtOverride = (await cleanup.ShouldBeAsync(HttpStatusCode.OK)).AsArray().Single(o => o!["scope"]!.GetValue<string>() == "district");
        using var removed = await admin.DeleteAsync(new Uri($"/v1/parameter-overrides/{districtOverride!["id"]}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(4.4, await StoredCh4Async(client, org, "plain", 0.22), 6);
    }

    [Fact]
    public async Task Overrides_AreBoundedScopedAndAudited()
    {
        var org = HubFixture.Unique("site-rules");
        var other = HubFixture.Unique("site-other");
        using var client = await Hub.TenantAsync(org, "d1", scopes: Managing);
        using var stranger = await Hub.TenantAsync(other, "d1", scopes: Managing);
        using var admin = await Hub.AdminAsync();

        using var districtByOrganization = await client.PutAsJsonAsync("/v1/parameter-overrides", new { scope = "district", key = "370202", profile = "gas.underground-methane", parameters = new { lelVolPercent = 4.4 } });
        using var outOfBounds = await client.PutAsJsonAsync($"/v1/organizations/{org}/devices/d1/parameters", new { parameters = new { lelVolPercent = 3.0 } });
        using var someoneElses = await stranger.PutAsJsonAsync($"/v1/organizations/{org}/devices/d1/parameters", new { parameters = new { lelVolPercent = 4.4 } });
        using var accepted = await client.PutAsJsonAsync($"/v1/organizations/{org}/devices/d1/parameters", new { parameters = new { lelVolPercent = 4.4 } });

        await districtByOrganization.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
        Assert.Equal("/parameters/lelVolPercent", (await outOfBounds.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed"))["errors"]![0]!["pointer"]!.GetValue<string>());
        await someoneElses.ShouldBeProblemAsync(HttpStatusCode.NotFound, "device.not-found");
        await accepted.ShouldBeAsync(HttpStatusCode.OK);
        var audit = (await admin.GetJsonAsync("/v1/audit?limit=1000"))["items"]!.AsArray().First(e => e!["target"]!.GetValue<string>() == $"{org}/d1" && e["action"]!.GetValue<string>() == "device.set-parameters");
        Assert.Contains("\"after\":{\"lelVolPercent\":4.4}", audit!["details"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Maintenance_SuppressesAlerts_IsBounded_AndEnds()
    {
        var org = HubFixture.Unique("maintenance");
        using var client = await Hub.TenantAsync(org, "d1", scopes: Managing);
        using var stranger = await Hub.TenantAsync(HubFixture.Unique("maintenance-other"), "d1", scopes: Managing);
        var engine = Hub.Services.GetRequiredService<AlertEngine>();
        var now = Hub.Time.GetUtcNow();

        using var tooLong = await client.PostAsJsonAsync($"/v1/organizations/{org}/devices/d1/maintenance", new { until = now.AddHours(9) });
        using var notTheirs = await stranger.PostAsJsonAsync($"/v1/organizations/{org}/devices/d1/maintenance", new { until = now.AddHours(1) });
        using var opened = await client.PostAsJsonAsync($"/v1/organizations/{org}/devices/d1/maintenance", new { from = now.AddMinutes(-30), until = now.AddHours(1), note = "replacing the sensor" });
        await tooLong.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        await notTheirs.ShouldBeProblemAsync(HttpStatusCode.NotFound, "device.not-found");
        var window = await opened.ShouldBeAsync(HttpStatusCode.Created);

        using (var during = await client.PostBatchAsync(Methane("m1", "d1", 60, time: now.AddMinutes(-10)), Methane("m2", "d1", 60, time: now.AddMinutes(-9))))
        {
            await during.ShouldBeAsync(HttpStatusCode.OK);
        }
        await engine.CaughtUpAsync(TestContext.Current.CancellationToken);
        Assert.Empty((await client.GetJsonAsync("/v1/alerts?device=d1"))["items"]!.AsArray());

        using var ended = await client.DeleteAsync(new Uri($"/v1/organizations/{org}/devices/d1/maintenance/{window["id"]}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NoContent, ended.StatusCode);
        using (var after = await client.PostBatchAsync(Methane("m3", "d1", 60, time: now.AddSeconds(1))))
        {
            await after.ShouldBeAsync(HttpStatusCode.OK);
        }
        await engine.CaughtUpAsync(TestContext.Current.CancellationToken);
        Assert.Equal("red", (await client.GetJsonAsync("/v1/alerts?device=d1"))["items"]![0]!["level"]!.GetValue<string>());
    }

    [Fact]
    public async Task Maintenance_IsBoundedByTheDevicesProfile()
    {
        // industry.hazard-source allows PT24H (written P1D in the answer), metro.structure PT12H; the methane profile
        // does not say, so PT8H applies.
        var org = HubFixture.Unique("maintenance-profile");
        using var client = await Hub.TenantAsync(org, "ch4", scopes: Managing);
        using var admin = await Hub.AdminAsync();
        await admin.RegisterDeviceAsync($"{org}-adapter", "plant", "industry.hazard-source");
        await admin.RegisterDeviceAsync($"{org}-adapter", "tunnel", "metro.structure");
        var now = Hub.Time.GetUtcNow();

        async Task<HttpResponseMessage> OpenAsync(string deviceId, double hours) =>
            await client.PostAsJsonAsync($"/v1/organizations/{org}/devices/{deviceId}/maintenance", new { from = now, until = now.AddHours(hours) });

        using var plantDay = await OpenAsync("plant", 24);
        using var plantLonger = await OpenAsync("plant", 24.5);
        using var tunnelHalfDay = await OpenAsync("tunnel", 12);
        using var tunnelLonger = await OpenAsync("tunnel", 13);
        using var methaneLonger = await OpenAsync("ch4", 8.5);

        await plantDay.ShouldBeAsync(HttpStatusCode.Created);
        await tunnelHalfDay.ShouldBeAsync(HttpStatusCode.Created);
        var refused = await plantLonger.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        Assert.Contains("P1D", refused["errors"]![0]!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("PT12H", (await tunnelLonger.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed"))["errors"]![0]!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("PT8H", (await methaneLonger.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed"))["errors"]![0]!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
