using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Telemetry;

[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class QueryTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    private static string Time(DateTimeOffset time) => Uri.EscapeDataString(time.ToString("O", System.Globalization.CultureInfo.InvariantCulture));

    private static IEnumerable<string> Devices(JsonNode page) => page["items"]!.AsArray().Select(i => i!["organizationId"]!.GetValue<string>() + "/" + i["deviceId"]!.GetValue<string>()).Distinct();

    [Fact]
    public async Task Latest_ReturnsTheNewestValuePerMetric_EvenWhenOlderDataArrivesLater()
    {
        var org = HubFixture.Unique("latest");
        using var adapter = await Hub.TenantAsync(org, "d1");
        var now = Hub.Time.GetUtcNow();
        using var newer = await adapter.PostBatchAsync(Methane("m2", "d1", 7, time: now.AddMinutes(-1)));
        using var older = await adapter.PostBatchAsync(Methane("m1", "d1", 3, time: now.AddMinutes(-10)));

        var latest = await adapter.GetJsonAsync($"/v1/telemetry/latest?organization={org}");

        var item = Assert.Single(latest["items"]!.AsArray())!;
        Assert.Equal(7, item["value"]!.GetValue<double>());
        Assert.Equal("%{LEL}", item["unit"]!.GetValue<string>());
        Assert.Equal("gas", item["domain"]!.GetValue<string>());
    }

    [Fact]
    public async Task History_PagesInTimeOrder_WithinTheRange()
    {
        var org = HubFixture.Unique("history");
        using var adapter = await Hub.TenantAsync(org, "d1");
        var start = Hub.Time.GetUtcNow().AddHours(-2);
        using var posted = await adapter.PostBatchAsync([.. Enumerable.Range(0, 7).Select(i => Methane($"m{i}", "d1", i, time: start.AddMinutes(10 * i)))]);
        await posted.ShouldBeAsync(HttpStatusCode.OK);
        var from = Uri.EscapeDataString(start.AddMinutes(5).ToString("O"));

        var values = new List<double>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await adapter.GetJsonAsync($"/v1/telemetry/history?device=d1&metric=ch4&from={from}&limit=4" + (cursor is null ? "" : "&cursor=" + cursor));
            values.AddRange(page["items"]!.AsArray().Select(i => i!["value"]!.GetValue<double>()));
            cursor = page["nextCursor"]?.GetValue<string>();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal([1, 2, 3, 4, 5, 6], values);
        Assert.Equal(2, pages);
    }

    [Fact]
    public async Task History_RangeBackwards_Is400()
    {
        using var adapter = await Hub.TenantAsync(HubFixture.Unique("range"), "d1");

        using var response = await adapter.GetAsync(new Uri("/v1/telemetry/history?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", UriKind.Relative));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.invalid-parameter");
    }

    [Fact]
    public async Task Reads_AcrossTenants_AreRefused()
    {
        var a = HubFixture.Unique("tenant-a");
        var b = HubFixture.Unique("tenant-b");
        using var tenantA = await Hub.TenantAsync(a, "d1");
        using var tenantB = await Hub.TenantAsync(b, "d1");
        // On the hub's clock: history reads up to the hub's now, which stays where the shared hub started.
        var time = Hub.Time.GetUtcNow().AddMinutes(-1);
        using var postedA = await tenantA.PostBatchAsync(Methane("m1", "d1", time: time));
        using var postedB = await tenantB.PostBatchAsync(Methane("m1", "d1", time: time));

        // Asking for the other organization by id, device or district returns nothing of it.
        var byOrganization = await tenantB.GetJsonAsync($"/v1/telemetry/latest?organization={a}");
        var byDevice = await tenantB.GetJsonAsync("/v1/telemetry/history?device=d1");
        var all = await tenantB.GetJsonAsync("/v1/telemetry/latest");

        Assert.Empty(byOrganization["items"]!.AsArray());
        Assert.Equal([$"{b}/d1"], Devices(byDevice));
        Assert.Equal([$"{b}/d1"], Devices(all));
    }

    [Fact]
    public async Task District_ReadsDataLocatedInIt_ButNotSandboxData_NorOtherDistricts()
    {
        var district = HubFixture.Unique("district");
        var certified = HubFixture.Unique("enterprise-certified");
        var sandbox = HubFixture.Unique("enterprise-sandbox");
        var elsewhere = HubFixture.Unique("enterprise-elsewhere");
        using var districtClient = await Hub.TenantAsync(district, "d1", kind: "district", areaCode: "370203");
        using var inDistrict = await Hub.TenantAsync(certified, "d1", district: "370203");
        using var sandboxed = await Hub.TenantAsync(sandbox, "d1", district: "370203");
        using var outside = await Hub.TenantAsync(elsewhere, "d1", district: "370211");
        using (var admin = await Hub.AdminAsync())
        {
            (await admin.PutAsJsonAsync($"/v1/adapters/{certified}-adapter/status", new { status = "certified" })).Dispose();
            (await admin.PutAsJsonAsync($"/v1/adapters/{elsewhere}-adapter/status", new { status = "production" })).Dispose();
        }
        foreach (var client in new[] { inDistrict, sandboxed, outside })
        {
            using var posted = await client.PostBatchAsync(Methane("m1", "d1"));
            await posted.ShouldBeAsync(HttpStatusCode.OK);
        }

        var seen = Devices(await districtClient.GetJsonAsync("/v1/telemetry/latest?limit=1000")).ToList();

        Assert.Contains($"{certified}/d1", seen);
        Assert.DoesNotContain($"{sandbox}/d1", seen);
        Assert.DoesNotContain($"{elsewhere}/d1", seen);
    }

    [Fact]
    public async Task Grant_WidensReads_UntilItExpires()
    {
        var grantee = HubFixture.Unique("grantee");
        var source = HubFixture.Unique("grant-source");
        using var granteeClient = await Hub.TenantAsync(grantee, "d1");
        using var sourceClient = await Hub.TenantAsync(source, "d1", district: "370212");
        using var admin = await Hub.AdminAsync();
        (await admin.PutAsJsonAsync($"/v1/adapters/{source}-adapter/status", new { status = "production" })).Dispose();
        using var posted = await sourceClient.PostBatchAsync(Methane("m1", "d1"));
        await posted.ShouldBeAsync(HttpStatusCode.OK);
        var expiry = Hub.Time.GetUtcNow().AddHours(1);

        Assert.DoesNotContain($"{source}/d1", Devices(await granteeClient.GetJsonAsync("/v1/telemetry/latest?domain=gas&limit=1000")));
        using var grant = await admin.PostAsJsonAsync("/v1/grants", new { granteeOrganizationId = grantee, domain = "gas", district = "370200", expiresAt = expiry });
        await grant.ShouldBeAsync(HttpStatusCode.Created);
        Assert.Contains($"{source}/d1", Devices(await granteeClient.GetJsonAsync("/v1/telemetry/latest?domain=gas&limit=1000")));
        Assert.DoesNotContain($"{source}/d1", Devices(await granteeClient.GetJsonAsync("/v1/telemetry/latest?domain=water&limit=1000")));
    }

    [Fact]
    public async Task Operator_ReadsEverything_ButSandboxData()
    {
        var org = HubFixture.Unique("operator-view");
        var sandbox = HubFixture.Unique("operator-sandbox");
        using var adapter = await Hub.TenantAsync(org, "d1");
        using var sandboxed = await Hub.TenantAsync(sandbox, "d1");
        using var admin = await Hub.AdminAsync();
        (await admin.PutAsJsonAsync($"/v1/adapters/{org}-adapter/status", new { status = "production" })).Dispose();
        using var posted = await adapter.PostBatchAsync(Methane("m1", "d1"));
        using var drill = await sandboxed.PostBatchAsync(Methane("m1", "d1"));

        Assert.Equal([$"{org}/d1"], Devices(await admin.GetJsonAsync($"/v1/telemetry/latest?organization={org}")));
        // A sandbox adapter's data stays in its organization, the operator's view included (QRY-001).
        Assert.Empty(Devices(await admin.GetJsonAsync($"/v1/telemetry/latest?organization={sandbox}")));
        Assert.Equal([$"{sandbox}/d1"], Devices(await sandboxed.GetJsonAsync("/v1/telemetry/latest")));
    }

    [Fact]
    public async Task Filters_ByDistrictPrefixAndProfile()
    {
        var org = HubFixture.Unique("filters");
        using var adapter = await Hub.TenantAsync(org, "d1", district: "370213");

        using var posted = await adapter.PostBatchAsync(Methane("m1", "d1"));

        Assert.Single((await adapter.GetJsonAsync("/v1/telemetry/latest?district=370200&profile=gas.underground-methane"))["items"]!.AsArray());
        Assert.Empty((await adapter.GetJsonAsync("/v1/telemetry/latest?district=370300"))["items"]!.AsArray());
        using var bad = await adapter.GetAsync(new Uri("/v1/telemetry/latest?district=37", UriKind.Relative));
        await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.invalid-parameter");
    }

    [Fact]
    public async Task Aggregates_OutOfBounds_AreProblemsWithStableCodes()
    {
        using var client = await Hub.TenantAsync(HubFixture.Unique("bounds"), "b1");
        var now = Hub.Time.GetUtcNow();

        async Task ProblemAsync(string query, string code)
        {
            using var response = await client.GetAsync(new Uri("/v1/telemetry/aggregates?" + query, UriKind.Relative), TestContext.Current.CancellationToken);
            await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, code);
        }

        await ProblemAsync($"device=b1&metric=ch4&bucket=1m&from={Time(now.AddDays(-30))}", "query.too-many-points");
        await ProblemAsync($"device=b1&metric=ch4&bucket=1d&from={Time(now.AddDays(-400))}", "query.range-too-long");
        // Older than the minute rollups (90 days) or the hour rollups (five years) keep: retention deleted what would answer.
        await ProblemAsync($"device=b1&metric=ch4&bucket=1m&from={Time(now.AddDays(-100))}&to={Time(now.AddDays(-99))}", "query.beyond-retention");
        await ProblemAsync($"device=b1&metric=ch4&bucket=5m&from={Time(now.AddDays(-91))}&to={Time(now.AddDays(-80))}", "query.beyond-retention");
        await ProblemAsync($"device=b1&metric=ch4&bucket=1d&from={Time(now.AddDays(-5 * 366 - 10))}&to={Time(now.AddDays(-5 * 366 + 100))}", "query.beyond-retention");
        await client.GetJsonAsync($"/v1/telemetry/aggregates?device=b1&metric=ch4&bucket=1h&from={Time(now.AddDays(-100))}&to={Time(now.AddDays(-99))}");
        await ProblemAsync("device=b1&metric=ch4&bucket=2m", "request.invalid-parameter");
        await ProblemAsync("device=b1&bucket=1h", "request.invalid-parameter");
        await ProblemAsync("metric=ch4&bucket=1h", "request.invalid-parameter");
        await ProblemAsync($"device=b1&metric=ch4&bucket=1h&from={Time(now)}&to={Time(now.AddDays(-1))}", "request.invalid-parameter");
        // 1440 buckets of one device are within the bound; of twenty devices they are not.
        await client.GetJsonAsync($"/v1/telemetry/aggregates?device=b1&metric=ch4&bucket=1m&from={Time(now.AddDays(-1))}&to={Time(now)}");
        await ProblemAsync($"device={string.Join(',', Enumerable.Range(0, 20).Select(i => $"b{i}"))}&metric=ch4&bucket=1m&from={Time(now.AddDays(-1))}&to={Time(now)}", "query.too-many-points");
    }
}

/// <summary>Grant expiry moves the clock, so it gets a hub of its own.</summary>
public sealed class GrantExpiryTests() : OwnHub
{
    [Fact]
    public async Task ExpiredGrant_NoLongerWidensReads()
    {
        using var grantee = await Hub.TenantAsync("grantee", "d1");
        using var source = await Hub.TenantAsync("source", "d1");
        using var admin = await Hub.AdminAsync();
        (await admin.PutAsJsonAsync("/v1/adapters/source-adapter/status", new { status = "production" })).Dispose();
        using var posted = await source.PostBatchAsync(Methane("m1", "d1"));
        using var grant = await admin.PostAsJsonAsync("/v1/grants", new { granteeOrganizationId = "grantee", domain = "gas", expiresAt = Hub.Time.GetUtcNow().AddMinutes(30) });
        await grant.ShouldBeAsync(HttpStatusCode.Created);
        Assert.Equal("source", Assert.Single((await grantee.GetJsonAsync("/v1/telemetry/latest"))["items"]!.AsArray())!["organizationId"]!.GetValue<string>());

        Hub.Time.Advance(TimeSpan.FromMinutes(31));

        Assert.Empty((await grantee.GetJsonAsync("/v1/telemetry/latest"))["items"]!.AsArray());
    }
}
