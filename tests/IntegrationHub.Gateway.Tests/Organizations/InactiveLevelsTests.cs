using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Tests.Infrastructure;

namespace IntegrationHub.Gateway.Tests.Organizations;

/// <summary>
/// A warning level whose threshold is a site parameter without a default cannot be raised until the parameter is set
/// (rules.md §2). Registering or importing such a device says so, level by level; <c>GET /v1/devices/inactive-levels</c>
/// lists such devices, as far as the caller may see them; setting the parameter, for the device or its district, takes
/// the warning away.
/// </summary>
public sealed class InactiveLevelsTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private const string Bridge = "bridge.shm";
    private static readonly SpecCatalog Spec = SpecCatalog.LoadEmbedded();

    private HubFactory Hub => fixture.Hub;

    // bridge.shm: 14 of its levels hang on four parameters without defaults (design deflection, strain, frequency, wind).
    private static readonly Dictionary<string, double> BridgeDesign = new()
    {
        ["deflectionLimit"] = 120, ["strainDesign"] = 600, ["baselineFrequency"] = 1.8, ["windLimit"] = 25,
    };

    [Fact]
    public async Task RegisterAndImport_AnswerAWarningPerInactiveLevel_NamingRuleLevelAndParameter()
    {
        var org = HubFixture.Unique("inactive-register");
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (adapter, _) = await admin.CreateAdapterAsync(org, org + "-adapter");

        var bridge = await RegisterAsync(admin, adapter, "span-1", Bridge);
        var methane = await RegisterAsync(admin, adapter, "ch4-1", "gas.underground-methane");

        var expected = Spec.Profiles[Bridge].ParameterDependentLevels;
        Assert.Equal(14, expected.Count);
        var warnings = bridge["warnings"]!.AsArray();
        Assert.Equal(expected.Select(l => (l.Rule.Id, l.Level.ToString().ToLowerInvariant(), l.Parameter)).Order(),
            warnings.Select(w => (w!["rule"]!.GetValue<string>(), w["level"]!.GetValue<string>(), w["parameter"]!.GetValue<string>())).Order());
        Assert.All(warnings, w =>
        {
            Assert.Equal("level.inactive", w!["code"]!.GetValue<string>());
            Assert.Equal("/parameters/" + w["parameter"]!.GetValue<string>(), w["pointer"]!.GetValue<string>());
            Assert.Contains(w["parameter"]!.GetValue<string>(), w["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        });
        Assert.Empty(methane["warnings"]!.AsArray());

        // A device registered with its design values has nothing to warn about; one imported from CSV (no parameters) has.
        var designed = await RegisterAsync(admin, adapter, "span-2", Bridge, BridgeDesign);
        Assert.Empty(designed["warnings"]!.AsArray());
        using var imported = await admin.PostAsync(new Uri($"/v1/adapters/{adapter}/devices/import", UriKind.Relative), new StringContent(
            "deviceId,profile,district,lon,lat\nspan-3,bridge.shm,370203,120.35,36.08\nch4-2,gas.underground-methane,370203,120.35,36.08\n", Encoding.UTF8, "text/csv"));
        var devices = (await imported.ShouldBeAsync(HttpStatusCode.OK))["devices"]!.AsArray();
        Assert.Equal(14, devices.Single(d => d!["deviceId"]!.GetValue<string>() == "span-3")!["warnings"]!.AsArray().Count);
        Assert.Empty(devices.Single(d => d!["deviceId"]!.GetValue<string>() == "ch4-2")!["warnings"]!.AsArray());

        // The adapter's device list carries them too.
        var listed = (await admin.GetJsonAsync($"/v1/adapters/{adapter}/devices"))["items"]!.AsArray();
        Assert.Equal(["span-1", "span-3"], listed.Where(d => d!["warnings"]!.AsArray().Count > 0).Select(d => d!["deviceId"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task InactiveLevels_ListsWhatTheCallerMaySee_OwnDevicesAndTheDistrictsCertifiedOnes()
    {
        var own = HubFixture.Unique("inactive-own");
        var other = HubFixture.Unique("inactive-other");
        var sandboxed = HubFixture.Unique("inactive-sandbox");
        var district = HubFixture.Unique("inactive-district");
        using var admin = await Hub.AdminAsync();
        var (ownAdapter, ownSecret) = await TenantAdapterAsync(admin, own);
        var (otherAdapter, _) = await TenantAdapterAsync(admin, other);
        var (sandboxAdapter, _) = await TenantAdapterAsync(admin, sandboxed);
        (await admin.PutAsJsonAsync($"/v1/adapters/{ownAdapter}/status", new { status = "production" })).Dispose();
        (await admin.PutAsJsonAsync($"/v1/adapters/{otherAdapter}/status", new { status = "production" })).Dispose();
        await RegisterAsync(admin, ownAdapter, "span-1", Bridge, district: "370211");
        await RegisterAsync(admin, ownAdapter, "ch4-1", "gas.underground-methane", district: "370211");
        await RegisterAsync(admin, otherAdapter, "span-1", Bridge, district: "370213");
        await RegisterAsync(admin, sandboxAdapter, "span-1", Bridge, district: "370213");
        await admin.CreateOrganizationAsync(district, "district", "370213");
        var (watcher, watcherSecret) = await admin.CreateAdapterAsync(district, district + "-adapter", scopes: ["alerts:read"]);

        using var ownClient = Hub.As(await Hub.TokenAsync(ownAdapter, ownSecret));
        Assert.Equal([$"{own}/span-1"], Devices(await ownClient.GetJsonAsync("/v1/devices/inactive-levels")));
        using var districtClient = Hub.As(await Hub.TokenAsync(watcher, watcherSecret));
        Assert.Equal([$"{other}/span-1"], Devices(await districtClient.GetJsonAsync("/v1/devices/inactive-levels")));

        // The operator sees the whole city but no sandbox, which stays in its organization; filters narrow it.
        var city = Devices(await admin.GetJsonAsync("/v1/devices/inactive-levels?limit=1000"));
        Assert.Subset(city.ToHashSet(), new HashSet<string> { $"{own}/span-1", $"{other}/span-1" });
        Assert.DoesNotContain($"{sandboxed}/span-1", city);
        Assert.DoesNotContain($"{own}/ch4-1", city);
        Assert.Equal([$"{own}/span-1"], Devices(await admin.GetJsonAsync($"/v1/devices/inactive-levels?organization={own}&domain=bridge&district=370211")));
        Assert.Empty(Devices(await admin.GetJsonAsync($"/v1/devices/inactive-levels?organization={own}&domain=gas")));

        // Pages follow the cursor without repeats.
        var first = await admin.GetJsonAsync("/v1/devices/inactive-levels?limit=1");
        Assert.Single(first["items"]!.AsArray());
        var second = await admin.GetJsonAsync($"/v1/devices/inactive-levels?limit=1&cursor={first["nextCursor"]!.GetValue<string>()}");
        Assert.NotEqual(Devices(first), Devices(second));

        using var refused = await admin.GetAsync(new Uri("/v1/devices/inactive-levels?district=3702", UriKind.Relative));
        await refused.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.invalid-parameter");
    }

    [Fact]
    public async Task SettingTheMissingParameters_OnTheDeviceOrItsDistrict_TakesTheWarningAway()
    {
        var org = HubFixture.Unique("inactive-fix");
        using var admin = await Hub.AdminAsync();
        var (adapter, _) = await TenantAdapterAsync(admin, org);
        (await admin.PutAsJsonAsync($"/v1/adapters/{adapter}/status", new { status = "production" })).Dispose();
        await RegisterAsync(admin, adapter, "span-1", Bridge, district: "370214");
        Assert.Contains($"{org}/span-1", Devices(await admin.GetJsonAsync($"/v1/devices/inactive-levels?organization={org}")));

        // Three of the four design values on the device: only the wind levels stay inactive.
        var withoutWind = BridgeDesign.Where(p => p.Key != "windLimit").ToDictionary();
        using var set = await admin.PutAsJsonAsync($"/v1/organizations/{org}/devices/span-1/parameters", new { parameters = withoutWind });
        var device = await set.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal([("wind", "orange"), ("wind", "yellow")],
            device["warnings"]!.AsArray().Select(w => (w!["rule"]!.GetValue<string>(), w["level"]!.GetValue<string>())).Order());
        Assert.Contains($"{org}/span-1", Devices(await admin.GetJsonAsync($"/v1/devices/inactive-levels?organization={org}")));

        // The district's wind limit, set by the operator, completes it: the device leaves the list.
        using var district = await admin.PutAsJsonAsync("/v1/parameter-overrides", new { scope = "district", key = "370214", profile = Bridge, parameters = new { windLimit = 25 } });
        await district.ShouldBeAsync(HttpStatusCode.OK);
        Assert.DoesNotContain($"{org}/span-1", Devices(await admin.GetJsonAsync($"/v1/devices/inactive-levels?organization={org}")));
        var listed = (await admin.GetJsonAsync($"/v1/adapters/{adapter}/devices"))["items"]!.AsArray().Single();
        Assert.Empty(listed!["warnings"]!.AsArray());
    }

    private static IEnumerable<string> Devices(JsonNode page) =>
        page["items"]!.AsArray().Select(d => $"{d!["organizationId"]!.GetValue<string>()}/{d["deviceId"]!.GetValue<string>()}");

    /// <summary>An organization with an adapter that may read alerts (and so the list of inactive levels).</summary>
    private static async Task<(string Id, string Secret)> TenantAdapterAsync(HttpClient admin, string organizationId)
    {
        await admin.CreateOrganizationAsync(organizationId);
        return await admin.CreateAdapterAsync(organizationId, organizationId + "-adapter", scopes: ["alerts:read", "telemetry:read"]);
    }

    private static async Task<JsonNode> RegisterAsync(HttpClient admin, string adapter, string deviceId, string profile, Dictionary<string, double>? parameters = null, string district = "370203")
    {
        using var response = await admin.PostAsJsonAsync($"/v1/adapters/{adapter}/devices", new { deviceId, profile, district, location = new { lon = 120.35, lat = 36.08 }, parameters });
        return await response.ShouldBeAsync(HttpStatusCode.Created);
    }
}
