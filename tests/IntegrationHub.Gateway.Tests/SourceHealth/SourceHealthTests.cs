using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;

namespace IntegrationHub.Gateway.Tests.SourceHealth;

/// <summary>
/// Source health (HLT-001, HLT-002) as the duty desk reads it over HTTP: message rate, rejections by code, lateness,
/// duplicates and silence per adapter and device; the online rate per district and domain; each caller sees only its
/// own sources. Methane terminals report every 15 minutes, so with k = 3 a terminal is silent after 45 minutes.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class SourceHealthTests() : OwnHub(new()
{
    ["Auth:AccessTokenLifetime"] = "1.00:00:00",
    ["SourceHealth:SilentAfterIntervals"] = "3",
    // These tests read each change at once, on a clock that does not move: every call measures (SourceHealthCacheTests test the cache).
    ["SourceHealth:CacheFor"] = "00:00:00",
})
{
    /// <summary>An organization with an adapter in production (sandbox data is no part of the city's picture) and one methane terminal.</summary>
    private async Task<HttpClient> SourceAsync(string organizationId, string deviceId, string district = "370202", string kind = "enterprise", string? areaCode = null)
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(organizationId, kind, areaCode);
        var (id, secret) = await admin.CreateAdapterAsync(organizationId, organizationId + "-adapter", scopes: ["telemetry:write", "telemetry:read"]);
        await (await admin.PutAsJsonAsync($"/v1/adapters/{id}/status", new { status = "production" })).ShouldBeAsync(HttpStatusCode.OK);
        await admin.RegisterDeviceAsync(id, deviceId, district: district);
        return Hub.As(await Hub.TokenAsync(id, secret));
    }

    private DateTimeOffset Ago(double minutes) => Hub.Time.GetUtcNow().AddMinutes(-minutes);

    private static JsonObject Adapter(JsonNode report, string adapterId) =>
        report["adapters"]!.AsArray().Single(a => a!["adapterId"]!.GetValue<string>() == adapterId)!.AsObject();

    private static JsonObject Device(JsonNode report, string deviceId) =>
        report["devices"]!.AsArray().Single(d => d!["deviceId"]!.GetValue<string>() == deviceId)!.AsObject();

    [Fact]
    public async Task AnAdaptersMessages_AreMeasured_RateRejectionsByCodeLatenessDuplicates_AndItsDevicesFallSilentAfterKIntervals()
    {
        using var owner = await SourceAsync("health-gas", "hg-1");
        using (var admin = await Hub.AdminAsync())
        {
            await admin.RegisterDeviceAsync("health-gas-adapter", "hg-2");
        }
        // Two readings, two and four minutes late; one of them sent again; one with a unit methane has not.
        var first = HubClient.Methane("hg-m1", "hg-1", time: Ago(2));
        using (var sent = await owner.PostBatchAsync(first, HubClient.Methane("hg-m2", "hg-1", time: Ago(4)), HubClient.Methane("hg-bad", "hg-1", unit: "degC", time: Ago(1))))
        {
            var body = await sent.ShouldBeAsync(HttpStatusCode.OK);
            Assert.Equal((2, 1), (body["accepted"]!.GetValue<int>(), body["rejected"]!.GetValue<int>()));
        }
        string code;
        using (var again = await owner.PostBatchAsync(first.DeepClone().AsObject()))
        {
            var body = await again.ShouldBeAsync(HttpStatusCode.OK);
            Assert.Equal(1, body["duplicates"]!.GetValue<int>());
        }
        using (var bad = await owner.PostBatchAsync(HubClient.Methane("hg-bad-2", "hg-1", unit: "degC", time: Ago(1))))
        {
            code = (await bad.ShouldBeAsync(HttpStatusCode.OK))["results"]![0]!["code"]!.GetValue<string>();
        }

        var report = await owner.GetJsonAsync("/v1/health/sources?window=60");
        var adapter = Adapter(report, "health-gas-adapter");
        Assert.Equal((2, 0, false), (adapter["devices"]!.GetValue<int>(), adapter["silentDevices"]!.GetValue<int>(), adapter["silent"]!.GetValue<bool>()));
        Assert.Equal((2, 2.0, 2, 0.5), (adapter["messages"]!.GetValue<int>(), adapter["messagesPerHour"]!.GetValue<double>(), adapter["rejected"]!.GetValue<int>(), adapter["rejectionShare"]!.GetValue<double>()));
        var rejection = Assert.Single(adapter["rejections"]!.AsArray())!;
        Assert.Equal((code, 2), (rejection["code"]!.GetValue<string>(), rejection["count"]!.GetValue<int>()));
        Assert.Equal(1, adapter["duplicates"]!.GetValue<long>());
        Assert.Equal((120.0, 240.0), (adapter["latenessP50Seconds"]!.GetValue<double>(), adapter["latenessP90Seconds"]!.GetValue<double>()));
        var device = Device(report, "hg-1");
        Assert.Equal((2, 2, false, 900.0), (device["messages"]!.GetValue<int>(), device["rejected"]!.GetValue<int>(), device["silent"]!.GetValue<bool>(), device["reportingIntervalSeconds"]!.GetValue<double>()));
        Assert.Equal((0, false), (Device(report, "hg-2")["messages"]!.GetValue<int>(), Device(report, "hg-2")["silent"]!.GetValue<bool>()));

        // Three intervals (45 minutes) after the last arrival, and after the registration of the one that never sent, the
        // devices are silent; so is the adapter, all of whose devices are.
        Hub.Time.Advance(TimeSpan.FromMinutes(44));
        Assert.False(Adapter(await owner.GetJsonAsync("/v1/health/sources"), "health-gas-adapter")["silent"]!.GetValue<bool>());
        Hub.Time.Advance(TimeSpan.FromMinutes(2));
        report = await owner.GetJsonAsync("/v1/health/sources?silent=true");
        adapter = Adapter(report, "health-gas-adapter");
        Assert.Equal((2, true), (adapter["silentDevices"]!.GetValue<int>(), adapter["silent"]!.GetValue<bool>()));
        Assert.Equal(["hg-1", "hg-2"], report["devices"]!.AsArray().Select(d => d!["deviceId"]!.GetValue<string>()).Order());
        Assert.NotNull(Device(report, "hg-1")["silentSince"]);

        // A reading brings the device back; the adapter is no longer silent.
        using (var back = await owner.PostBatchAsync(HubClient.Methane("hg-m3", "hg-1", time: Ago(0.5))))
        {
            await back.ShouldBeAsync(HttpStatusCode.OK);
        }
        report = await owner.GetJsonAsync("/v1/health/sources");
        Assert.Equal((1, false), (Adapter(report, "health-gas-adapter")["silentDevices"]!.GetValue<int>(), Adapter(report, "health-gas-adapter")["silent"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task TheOnlineRate_PerDistrictAndDomain_CountsSilentDevices_AndEachCallerSeesOnlyItsOwnSources()
    {
        using var east = await SourceAsync("rate-east", "re-1", district: "370202");
        using var west = await SourceAsync("rate-west", "rw-1", district: "370203");
        using var district = await SourceAsync("rate-shinan", "rs-1", kind: "district", areaCode: "370202", district: "370202");
        using var admin = await Hub.AdminAsync();
        await admin.RegisterDeviceAsync("rate-east-adapter", "re-2", district: "370202");
        await admin.RegisterDeviceAsync("rate-east-adapter", "re-3", district: "370202");

        // An hour on: everything registered is silent, until re-1 and rw-1 report.
        Hub.Time.Advance(TimeSpan.FromMinutes(60));
        foreach (var (client, device) in new[] { (east, "re-1"), (west, "rw-1") })
        {
            using var sent = await client.PostBatchAsync(HubClient.Methane(device + "-m", device, time: Ago(1)));
            await sent.ShouldBeAsync(HttpStatusCode.OK);
        }

        var rates = await admin.GetJsonAsync("/v1/health/online-rate?domain=gas");
        var items = rates["items"]!.AsArray().Select(i => (i!["district"]!.GetValue<string>(), i["registered"]!.GetValue<int>(), i["online"]!.GetValue<int>(), i["rate"]!.GetValue<double>())).ToList();
        Assert.Contains(("370202", 4, 1, 0.25), items);
        Assert.Contains(("370203", 1, 1, 1.0), items);
        Assert.Equal((5, 2), (rates["total"]!["registered"]!.GetValue<int>(), rates["total"]!["online"]!.GetValue<int>()));
        Assert.Equal(0.25, (await admin.GetJsonAsync("/v1/health/online-rate?district=370202"))["items"]![0]!["rate"]!.GetValue<double>());

        // The district sees the devices in it, of every organization; an enterprise sees its own; nobody sees the others'.
        var seen = await district.GetJsonAsync("/v1/health/sources");
        Assert.Equal(["re-1", "re-2", "re-3", "rs-1"], seen["devices"]!.AsArray().Select(d => d!["deviceId"]!.GetValue<string>()).Order());
        Assert.DoesNotContain(seen["adapters"]!.AsArray(), a => a!["adapterId"]!.GetValue<string>() == "rate-west-adapter");
        var own = await west.GetJsonAsync("/v1/health/sources");
        Assert.Equal(["rw-1"], own["devices"]!.AsArray().Select(d => d!["deviceId"]!.GetValue<string>()));
        Assert.Equal(["rate-west-adapter"], own["adapters"]!.AsArray().Select(a => a!["adapterId"]!.GetValue<string>()));
        Assert.Empty((await west.GetJsonAsync("/v1/health/sources?organization=rate-east"))["devices"]!.AsArray());
        var westRates = await west.GetJsonAsync("/v1/health/online-rate");
        Assert.Equal(("370203", 1), (westRates["items"]![0]!["district"]!.GetValue<string>(), westRates["total"]!["registered"]!.GetValue<int>()));

        await (await west.GetAsync(new Uri("/v1/health/sources?district=37", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.invalid-parameter");
        await (await west.GetAsync(new Uri("/v1/health/sources?window=0", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.invalid-parameter");
    }
}
