using System.Net;
using System.Net.Http.Json;
using System.Text;
using IntegrationHub.Gateway.Tests.Infrastructure;

namespace IntegrationHub.Gateway.Tests.Organizations;

/// <summary>
/// An organization manages its own adapters and devices (ADM-007) and imports devices from CSV (ADM-008), as the
/// portal's developer pages do, with a client holding organization:manage; other organizations stay out of reach.
/// </summary>
public sealed class SelfServiceTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    private async Task<(HttpClient Manager, string Organization)> ManagerAsync(string name)
    {
        using var admin = await Hub.AdminAsync();
        var organization = HubFixture.Unique(name);
        await admin.CreateOrganizationAsync(organization);
        var (id, secret) = await admin.CreateAdapterAsync(organization, organization + "-ops", scopes: ["organization:manage", "telemetry:read"]);
        return (Hub.As(await Hub.TokenAsync(id, secret)), organization);
    }

    [Fact]
    public async Task Organization_RegistersRotatesAndRevokesItsOwnAdapters_ButNotAnotherOrganizations()
    {
        var (manager, organization) = await ManagerAsync("self");
        var (stranger, other) = await ManagerAsync("other");
        using var _ = manager;
        using var __ = stranger;

        using var created = await manager.PostAsJsonAsync($"/v1/organizations/{organization}/adapters", new { id = organization + "-scada", name = "SCADA bridge" });
        var body = await created.ShouldBeAsync(HttpStatusCode.Created);
        Assert.Equal("sandbox", body["adapter"]!["status"]!.GetValue<string>());
        using var rotated = await manager.PostAsync(new Uri($"/v1/adapters/{organization}-scada/secret", UriKind.Relative), null);
        Assert.NotEqual(body["clientSecret"]!.GetValue<string>(), (await rotated.ShouldBeAsync(HttpStatusCode.OK))["clientSecret"]!.GetValue<string>());

        using var elsewhere = await manager.PostAsJsonAsync($"/v1/organizations/{other}/adapters", new { id = other + "-intruder", name = "Intruder" });
        await elsewhere.ShouldBeProblemAsync(HttpStatusCode.NotFound, "organization.not-found");
        using var peek = await stranger.GetAsync(new Uri($"/v1/adapters/{organization}-scada", UriKind.Relative));
        await peek.ShouldBeProblemAsync(HttpStatusCode.NotFound, "adapter.not-found");
        using var list = await stranger.GetAsync(new Uri($"/v1/organizations/{organization}/adapters", UriKind.Relative));
        await list.ShouldBeProblemAsync(HttpStatusCode.NotFound, "organization.not-found");
        using var revokeForeign = await stranger.PostAsJsonAsync($"/v1/adapters/{organization}-scada/suspend", new { note = "not mine" });
        await revokeForeign.ShouldBeProblemAsync(HttpStatusCode.NotFound, "adapter.not-found");

        using var promote = await manager.PutAsJsonAsync($"/v1/adapters/{organization}-scada/status", new { status = "production" });
        await promote.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
        using var revoked = await manager.PostAsJsonAsync($"/v1/adapters/{organization}-scada/suspend", new { note = "decommissioned" });
        Assert.Equal("suspended", (await revoked.ShouldBeAsync(HttpStatusCode.OK))["status"]!.GetValue<string>());
        using var resume = await manager.PostAsJsonAsync($"/v1/adapters/{organization}-scada/resume", new { note = "back" });
        await resume.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
    }

    [Fact]
    public async Task Organization_CannotGiveAnAdapterAScopeItDoesNotHold()
    {
        var (manager, organization) = await ManagerAsync("escalate");
        using var _ = manager;

        using var response = await manager.PostAsJsonAsync($"/v1/organizations/{organization}/adapters",
            new { id = organization + "-power", name = "Power", scopes = new[] { "telemetry:write", "users:manage" } });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        var finding = Assert.Single(problem["errors"]!.AsArray());
        Assert.Equal(("auth.insufficient-scope", "/scopes/1"), (finding!["code"]!.GetValue<string>(), finding["pointer"]!.GetValue<string>()));
    }

    [Fact]
    public async Task DeviceImport_RegistersEveryRow_OrNoneWithEachProblemPointingAtItsRow()
    {
        var (manager, organization) = await ManagerAsync("csv");
        using var _ = manager;
        var adapter = organization + "-field";
        using (var created = await manager.PostAsJsonAsync($"/v1/organizations/{organization}/adapters", new { id = adapter, name = "Field", allowedProfiles = new[] { "gas.underground-methane" } }))
        {
            await created.ShouldBeAsync(HttpStatusCode.Created);
        }

        const string Good = "\uFEFFdeviceId,profile,district,lon,lat,name\r\nch4-a,gas.underground-methane,370212,120.46,36.10,\"Well 1, \"\"north\"\"\"\r\nch4-b,gas.underground-methane,370212,120.47,36.11,\r\n";
        using var imported = await manager.PostAsync(new Uri($"/v1/adapters/{adapter}/devices/import", UriKind.Relative), Csv(Good));
        var result = await imported.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(2, result["registered"]!.GetValue<int>());
        Assert.Equal("Well 1, \"north\"", result["devices"]![0]!["name"]!.GetValue<string>());

        const string Bad = "deviceId,profile,district,lon,lat\nch4-c,water.supply-pressure,370212,120.4,36.1\nch4-a,gas.underground-methane,370212,120.4,36.1\nch4-d,gas.underground-methane,3702,east,36.1\nch4-d,gas.underground-methane,370212,120.4,36.1\n";
        using var refused = await manager.PostAsync(new Uri($"/v1/adapters/{adapter}/devices/import", UriKind.Relative), Csv(Bad));
        var problem = await refused.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        Assert.Equal(
            ["/rows/1/profile", "/rows/2/deviceId", "/rows/3/district", "/rows/3/location/lon", "/rows/3/location/lon", "/rows/4/deviceId"],
            problem["errors"]!.AsArray().Select(e => e!["pointer"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        using var devices = await manager.GetAsync(new Uri($"/v1/adapters/{adapter}/devices", UriKind.Relative));
        Assert.Equal(2, (await devices.ShouldBeAsync(HttpStatusCode.OK))["items"]!.AsArray().Count);

        using var header = await manager.PostAsync(new Uri($"/v1/adapters/{adapter}/devices/import", UriKind.Relative), Csv("device,profile\nx,y\n"));
        var headerProblem = await header.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        Assert.Contains(headerProblem["errors"]!.AsArray(), e => e!["pointer"]!.GetValue<string>() == "/rows/0/0");
        using var json = await manager.PostAsJsonAsync($"/v1/adapters/{adapter}/devices/import", new { deviceId = "x" });
        await json.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "request.unsupported-media-type");
    }

    [Fact]
    public async Task Quarantine_ShowsAnOrganizationsPeopleEveryOneOfItsAdaptersRejections_AndNoOneElses()
    {
        var (manager, organization) = await ManagerAsync("quarantine");
        using var _ = manager;
        using var admin = await Hub.AdminAsync();
        var (id, secret) = await admin.CreateAdapterAsync(organization, organization + "-sender");
        await admin.RegisterDeviceAsync(id, organization + "-ch4");
        using var sender = Hub.As(await Hub.TokenAsync(id, secret));
        using var outsider = await Hub.TenantAsync(HubFixture.Unique("outsider"), "out-ch4");
        using (var sent = await sender.PostBatchAsync(HubClient.Methane(organization + "-bad", organization + "-ch4", unit: "ppm-ish")))
        {
            await sent.ShouldBeAsync(HttpStatusCode.OK);
        }
        using (var sent = await outsider.PostBatchAsync(HubClient.Methane("outsider-bad", "out-ch4", unit: "ppm-ish")))
        {
            await sent.ShouldBeAsync(HttpStatusCode.OK);
        }

        var items = (await manager.GetJsonAsync("/v1/quarantine"))["items"]!.AsArray();

        var entry = Assert.Single(items);
        Assert.Equal((organization + "-bad", "unit.unknown"), (entry!["messageId"]!.GetValue<string>(), entry["errors"]![0]!["code"]!.GetValue<string>()));
    }

    private static StringContent Csv(string text) => new(text, Encoding.UTF8, "text/csv");
}
