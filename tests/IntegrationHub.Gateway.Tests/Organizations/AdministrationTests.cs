using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Gateway.Tests.Infrastructure;

namespace IntegrationHub.Gateway.Tests.Organizations;

public sealed class AdministrationTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task CreateOrganization_InvalidBody_ListsEveryProblemWithItsPointer()
    {
        using var admin = await Hub.AdminAsync();

        using var response = await admin.PostAsJsonAsync("/v1/organizations", new { id = "Bad Id", kind = "district", areaCode = "37" });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        Assert.Equal(["/areaCode", "/id", "/name"], problem["errors"]!.AsArray().Select(e => e!["pointer"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task CreateOrganization_Twice_Is409()
    {
        using var admin = await Hub.AdminAsync();
        var id = HubFixture.Unique("twice");
        await admin.CreateOrganizationAsync(id);

        using var again = await admin.PostAsJsonAsync("/v1/organizations", new { id, name = "Again", kind = "enterprise" });

        await again.ShouldBeProblemAsync(HttpStatusCode.Conflict, "organization.exists");
    }

    [Fact]
    public async Task CreateOrganization_NotJson_Is400()
    {
        using var admin = await Hub.AdminAsync();

        using var response = await admin.PostAsync(new Uri("/v1/organizations", UriKind.Relative), new StringContent("{\"id\": ", System.Text.Encoding.UTF8, "application/json"));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.malformed-json");
    }

    [Fact]
    public async Task CreateAdapter_AdminScopeOutsideTheOperator_IsRefused()
    {
        using var admin = await Hub.AdminAsync();
        var org = HubFixture.Unique("no-admin");
        await admin.CreateOrganizationAsync(org);

        using var response = await admin.PostAsJsonAsync($"/v1/organizations/{org}/adapters", new { name = "Sneaky", scopes = new[] { "admin" }, allowedProfiles = new[] { "gas.nothing" } });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        Assert.Equal(["/allowedProfiles/0", "/scopes/0"], problem["errors"]!.AsArray().Select(e => e!["pointer"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task CreateAdapter_ForUnknownOrganization_Is404()
    {
        using var admin = await Hub.AdminAsync();

        using var response = await admin.PostAsJsonAsync("/v1/organizations/nowhere/adapters", new { name = "Lost" });

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, "organization.not-found");
    }

    [Fact]
    public async Task RegisterDevice_ChecksProfileDistrictLocationAndParameters()
    {
        using var admin = await Hub.AdminAsync();
        var org = HubFixture.Unique("device-checks");
        await admin.CreateOrganizationAsync(org);
        var (adapter, _) = await admin.CreateAdapterAsync(org, org + "-a", profiles: ["water.supply-pressure-flow"]);

        using var notAllowed = await admin.PostAsJsonAsync($"/v1/adapters/{adapter}/devices", new
        {
            deviceId = "ch4-1", profile = "gas.underground-methane", district = "370202", location = new { lon = 120.3, lat = 36.0 },
        });
        using var broken = await admin.PostAsJsonAsync($"/v1/adapters/{adapter}/devices", new
        {
            deviceId = "wp 1", profile = "water.supply-pressure-flow", district = "3702", location = new { lon = 200.0, lat = 36.0 },
            parameters = new Dictionary<string, double> { ["minServicePressure"] = 5 },
        });

        Assert.Equal("profile.not-allowed", (await notAllowed.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed"))["errors"]![0]!["code"]!.GetValue<string>());
        var problem = await broken.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        Assert.Equal(["/deviceId", "/district", "/location/lon", "/parameters/minServicePressure"], problem["errors"]!.AsArray().Select(e => e!["pointer"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task RegisterDevice_SameIdInTheOrganization_Is409_ButOtherOrganizationsMayReuseIt()
    {
        using var admin = await Hub.AdminAsync();
        var org = HubFixture.Unique("device-dup");
        var other = HubFixture.Unique("device-dup-other");
        await admin.CreateOrganizationAsync(org);
        await admin.CreateOrganizationAsync(other);
        var (first, _) = await admin.CreateAdapterAsync(org, org + "-a");
        var (second, _) = await admin.CreateAdapterAsync(org, org + "-b");
        var (foreign, _) = await admin.CreateAdapterAsync(other, other + "-a");
        await admin.RegisterDeviceAsync(first, "d1");

        using var sameOrganization = await admin.PostAsJsonAsync($"/v1/adapters/{second}/devices", new { deviceId = "d1", profile = "gas.underground-methane", district = "370202", location = new { lon = 120.3, lat = 36.0 } });
        await admin.RegisterDeviceAsync(foreign, "d1");

        await sameOrganization.ShouldBeProblemAsync(HttpStatusCode.Conflict, "device.exists");
    }

    [Fact]
    public async Task ListDevices_Pages()
    {
        using var admin = await Hub.AdminAsync();
        var org = HubFixture.Unique("device-list");
        await admin.CreateOrganizationAsync(org);
        var (adapter, _) = await admin.CreateAdapterAsync(org, org + "-a");
        foreach (var i in Enumerable.Range(0, 5))
        {
            await admin.RegisterDeviceAsync(adapter, $"d{i}");
        }

        var first = await admin.GetJsonAsync($"/v1/adapters/{adapter}/devices?limit=3");
        var second = await admin.GetJsonAsync($"/v1/adapters/{adapter}/devices?limit=3&cursor={first["nextCursor"]!.GetValue<string>()}");

        Assert.Equal(["d0", "d1", "d2", "d3", "d4"], first["items"]!.AsArray().Concat(second["items"]!.AsArray()).Select(d => d!["deviceId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Grant_WithoutExpiry_OrScope_IsRefused()
    {
        using var admin = await Hub.AdminAsync();
        var org = HubFixture.Unique("grant-checks");
        await admin.CreateOrganizationAsync(org);

        using var response = await admin.PostAsJsonAsync("/v1/grants", new { granteeOrganizationId = org });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        Assert.Equal(["/domain", "/expiresAt"], problem["errors"]!.AsArray().Select(e => e!["pointer"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task AdminActions_AreAudited_WithTheActor()
    {
        using var admin = await Hub.AdminAsync();
        var org = HubFixture.Unique("audited");
        await admin.CreateOrganizationAsync(org);
        var (adapter, _) = await admin.CreateAdapterAsync(org, org + "-a");
        await admin.RegisterDeviceAsync(adapter, "d1");

        var audit = (await admin.GetJsonAsync("/v1/audit?limit=1000"))["items"]!.AsArray();

        var mine = audit.Where(e => e!["target"]!.GetValue<string>().StartsWith(org, StringComparison.Ordinal)).ToList();
        Assert.Equal(["device.register", "adapter.create", "organization.create"], mine.Select(e => e!["action"]!.GetValue<string>()));
        Assert.All(mine, e => Assert.Equal(HubFactory.AdminId, e!["actor"]!.GetValue<string>()));
    }

    [Fact]
    public async Task UnknownRoute_Is404ProblemDetails()
    {
        using var admin = await Hub.AdminAsync();

        using var response = await admin.GetAsync(new Uri("/v1/nothing-here", UriKind.Relative));

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, "request.not-found");
    }
}
