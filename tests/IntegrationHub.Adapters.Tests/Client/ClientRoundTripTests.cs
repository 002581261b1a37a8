using System.Net;
using System.Text;
using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Problems;
using IntegrationHub.Client.Specs;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Tests.Client;

/// <summary>Every endpoint of the hub, through the SDK, against a running hub.</summary>
public sealed class ClientRoundTripTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    /// <summary>An organization with a gas adapter and one methane device; returns the adapter's credentials.</summary>
    private static async Task<AdapterCredentials> TenantAsync(IAdministrationApi admin, string org, string deviceId = "ch4-1")
    {
        await admin.CreateOrganizationAsync(new CreateOrganizationRequest($"Organization {org}", "district", "370202", org));
        var credentials = await admin.CreateAdapterAsync(org, new CreateAdapterRequest($"Adapter {org}", org + "-gas", ["gas.underground-methane"]));
        await admin.RegisterDeviceAsync(credentials.ClientId, new RegisterDeviceRequest(deviceId, "gas.underground-methane", "370202", new DeviceLocation(120.38, 36.07)));
        return credentials;
    }

    [Fact]
    public async Task Specs_EveryEndpoint()
    {
        await using var sdk = Sdk.For(Hub.BaseAddress, Hub.Time, null, null);
        var specs = sdk.GetRequiredService<ISpecsApi>();

        var index = await specs.GetIndexAsync();
        var profiles = await specs.ListProfilesAsync();
        var profile = await specs.GetProfileAsync("gas.underground-methane");
        var schema = await specs.GetSchemaAsync("telemetry-message.schema.json");
        var catalogue = await specs.GetErrorCatalogueAsync();
        var error = await specs.GetErrorAsync("unit.unknown");

        Assert.Equal("v1", index.Version);
        Assert.Contains(profiles, p => p.Id == "water.supply-pressure-flow" && p.Domain == "water");
        Assert.Equal("%{LEL}", profile.GetProperty("metrics").GetProperty("ch4").GetProperty("unit").GetString());
        Assert.Equal("Telemetry message", schema.GetProperty("title").GetString());
        Assert.Contains(catalogue.Errors, e => e.Code == "request.malformed-body");
        Assert.Equal(422, error.Status);
    }

    [Fact]
    public async Task Administration_EveryEndpoint()
    {
        var org = HubFixture.Unique("sdk-admin");
        await using var sdk = Sdk.Admin(Hub);
        var admin = sdk.GetRequiredService<IAdministrationApi>();

        var created = await admin.CreateOrganizationAsync(new CreateOrganizationRequest("Shinan District", "district", "370202", org));
        var adapter = await admin.CreateAdapterAsync(org, new CreateAdapterRequest("Shinan gas", org + "-gas", ["gas.underground-methane"]));
        var device = await admin.RegisterDeviceAsync(adapter.ClientId, new RegisterDeviceRequest("ch4-1", "gas.underground-methane", "370202", new DeviceLocation(120.38, 36.07), "Valve well 1", new Dictionary<string, double> { ["lelVolPercent"] = 4.4 }));
        var certified = await admin.SetAdapterStatusAsync(adapter.ClientId, new SetAdapterStatusRequest("certified", "passed conformance"));
        var rotated = await admin.RotateAdapterSecretAsync(adapter.ClientId);
        var suspended = await admin.SuspendAdapterAsync(adapter.ClientId, new NoteRequest("maintenance"));
        var resumed = await admin.ResumeAdapterAsync(adapter.ClientId, new NoteRequest());
        var grant = await admin.CreateGrantAsync(new CreateGrantRequest(org, Hub.Time.GetUtcNow().AddDays(7), Domain: "water"));

        Assert.Equal(("district", "370202"), (created.Kind, created.AreaCode));
        Assert.Equal(created, await admin.GetOrganizationAsync(org));
        Assert.Contains(await admin.ListOrganizationsAsync(), o => o.Id == org);
        Assert.Equal(("sandbox", "/connect/token"), (adapter.Adapter.Status, adapter.TokenEndpoint));
        Assert.NotEqual(adapter.ClientSecret, rotated.ClientSecret);
        Assert.Equal(["certified", "suspended", "certified"], [certified.Status, suspended.Status, resumed.Status]);
        Assert.Equal(resumed.Status, (await admin.GetAdapterAsync(adapter.ClientId)).Status);
        Assert.Equal([adapter.ClientId], (await admin.ListAdaptersAsync(org)).Select(a => a.Id));
        Assert.Equal(4.4, device.Parameters["lelVolPercent"]);
        Assert.Equal([(device.DeviceId, device.Name, 4.4)], (await admin.ListDevicesAsync(adapter.ClientId)).Items.Select(d => (d.DeviceId, d.Name, d.Parameters["lelVolPercent"])));
        Assert.Contains(await admin.ListGrantsAsync(), g => g.Id == grant.Id && g.Domain == "water");
        await admin.RevokeGrantAsync(grant.Id);
        Assert.DoesNotContain(await admin.ListGrantsAsync(), g => g.Id == grant.Id);
        var audit = await admin.ListAuditAsync(limit: 200);
        Assert.Superset(
            new HashSet<string> { "organization.create", "adapter.create", "device.register", "adapter.set-status", "adapter.rotate-secret", "adapter.suspend", "adapter.resume", "grant.create", "grant.revoke" },
            audit.Items.Where(a => a.Target.Contains(org, StringComparison.Ordinal) || a.Action.StartsWith("grant.", StringComparison.Ordinal)).Select(a => a.Action).ToHashSet());
    }

    [Fact]
    public async Task Telemetry_EveryEndpoint()
    {
        var org = HubFixture.Unique("sdk-telemetry");
        await using var adminSdk = Sdk.Admin(Hub);
        var credentials = await TenantAsync(adminSdk.GetRequiredService<IAdministrationApi>(), org);
        await using var sdk = Sdk.For(Hub, credentials.ClientId, credentials.ClientSecret);
        var telemetry = sdk.GetRequiredService<ITelemetryApi>();
        var measured = Hub.Time.GetUtcNow().AddMinutes(-5);

        var result = await telemetry.IngestAsync(new TelemetryBatch(
        [
            new TelemetryMessage { MessageId = "m-1", DeviceId = "ch4-1", Profile = "gas.underground-methane", Time = measured, Observations = [Observation.Quantity("ch4", 0.3, "%{vol}")], Status = new DeviceStatus("normal", Battery: 87) },
            new TelemetryMessage { MessageId = "m-2", DeviceId = "ch4-1", Profile = "gas.underground-methane", Time = measured, Observations = [Observation.Quantity("ch4", 3, "%LEL")] },
        ]));
        using var senml = new StringContent($$"""[{"bn": "ch4-1/", "n": "ch4", "u": "ppm", "v": 1500, "t": -60}]""", Encoding.UTF8, "application/senml+json");
        var encoded = await telemetry.IngestEncodedAsync(senml);
        var latest = await telemetry.GetLatestAsync(new TelemetryFilter { Device = "ch4-1", Metric = "ch4" });
        var history = await telemetry.GetHistoryAsync(new TelemetryFilter { Device = "ch4-1" }, measured.AddMinutes(-1), Hub.Time.GetUtcNow(), limit: 10);
        var quarantine = await telemetry.GetQuarantineAsync();

        Assert.Equal((1, 0, 1), (result.Accepted, result.Duplicates, result.Rejected));
        Assert.Equal(("unit.unknown", "/messages/1/observations/0/unit"), (result.Results[1].Code, result.Results[1].Pointer));
        Assert.Equal(1, encoded.Accepted);
        var newest = Assert.Single(latest.Items);
        Assert.Equal((3.0, "%{LEL}"), (Math.Round(newest.Value!.Value.Number!.Value, 6), newest.Unit));
        Assert.Equal([6.0, 3.0], history.Items.Select(o => Math.Round(o.Value!.Value.Number!.Value, 6)));
        Assert.All(history.Items, o => Assert.Equal((org, "gas", "370202"), (o.OrganizationId, o.Domain, o.District)));
        var rejected = Assert.Single(quarantine.Items);
        Assert.Equal(result.Results[1].QuarantineId, rejected.Id);
        Assert.Equal("m-2", rejected.MessageId);
    }

    [Fact]
    public async Task Errors_ArriveAsTypedProblems_WithCodeAndFindings()
    {
        var org = HubFixture.Unique("sdk-errors");
        await using var sdk = Sdk.Admin(Hub);
        var admin = sdk.GetRequiredService<IAdministrationApi>();
        await admin.CreateOrganizationAsync(new CreateOrganizationRequest("Twice", "enterprise", Id: org));

        var exists = await Assert.ThrowsAsync<IntegrationHubException>(() => admin.CreateOrganizationAsync(new CreateOrganizationRequest("Twice", "enterprise", Id: org)));
        var invalid = await Assert.ThrowsAsync<IntegrationHubException>(() => admin.CreateOrganizationAsync(new CreateOrganizationRequest(" bad name", "district", "99", "x")));
        var missing = await Assert.ThrowsAsync<IntegrationHubException>(() => admin.GetAdapterAsync("no-such-adapter"));

        Assert.Equal((HttpStatusCode.Conflict, "organization.exists"), (exists.StatusCode, exists.Code));
        Assert.EndsWith("/docs/errors/organization.exists", exists.Type, StringComparison.Ordinal);
        Assert.Equal("request.validation-failed", invalid.Code);
        Assert.Equal(["/id", "/name", "/areaCode"], invalid.Errors.Select(e => e.Pointer));
        Assert.Equal((HttpStatusCode.NotFound, "adapter.not-found"), (missing.StatusCode, missing.Code));
    }

    [Fact]
    public async Task WrongSecret_IsAnOAuthError()
    {
        await using var sdk = Sdk.For(Hub, HubFactory.AdminId, "not-the-secret-0123456789");

        var error = await Assert.ThrowsAsync<IntegrationHubException>(() => sdk.GetRequiredService<IAdministrationApi>().ListOrganizationsAsync());

        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_client"), (error.StatusCode, error.Code));
    }
}
