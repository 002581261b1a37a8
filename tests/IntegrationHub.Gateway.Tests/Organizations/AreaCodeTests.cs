using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;

namespace IntegrationHub.Gateway.Tests.Organizations;

/// <summary>Districts are codes of the spec's GB/T 2260 table (ADM-009): a refusal names the real reason.</summary>
public sealed class AreaCodeTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    private static List<(string Pointer, string Code, string Detail)> Findings(JsonNode problem) =>
        [.. problem["errors"]!.AsArray().Select(e => (e!["pointer"]!.GetValue<string>(), e["code"]!.GetValue<string>(), e["detail"]!.GetValue<string>())).OrderBy(f => f.Item1, StringComparer.Ordinal)];

    [Fact]
    public async Task ImportDevices_UnknownAndMalformedDistricts_AreRefusedEachForItsOwnReason()
    {
        using var admin = await Hub.AdminAsync();
        var org = HubFixture.Unique("areas-import");
        await admin.CreateOrganizationAsync(org);
        var (adapter, _) = await admin.CreateAdapterAsync(org, org + "-a");
        const string File = "deviceId,profile,district,lon,lat\nd1,gas.underground-methane,999999,120.4,36.1\nd2,gas.underground-methane,3702,120.4,36.1\nd3,gas.underground-methane,370271,120.4,36.1\n";

        using var response = await admin.PostAsync(new Uri($"/v1/adapters/{adapter}/devices/import", UriKind.Relative), new StringContent(File, Encoding.UTF8, "text/csv"));

        var findings = Findings(await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed"));
        Assert.Equal(
            [("/rows/1/district", "area.unknown"), ("/rows/2/district", "message.invalid-value"), ("/rows/3/district", "area.unknown")],
            findings.Select(f => (f.Pointer, f.Code)));
        // 999999 has six digits: what is wrong with it is that no area has that code.
        Assert.Contains("'999999' has the form of a GB/T 2260 code, but no area has it", findings[0].Detail, StringComparison.Ordinal);
        Assert.Contains("six digits", findings[1].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegisterDevice_InACurrentDistrict_IsAccepted_AndInAnUnknownOne_Refused()
    {
        using var admin = await Hub.AdminAsync();
        var org = HubFixture.Unique("areas-register");
        await admin.CreateOrganizationAsync(org);
        var (adapter, _) = await admin.CreateAdapterAsync(org, org + "-a");

        foreach (var district in new[] { "370215", "370214" })
        {
            using var accepted = await admin.PostAsJsonAsync($"/v1/adapters/{adapter}/devices", new
            {
                deviceId = "d-" + district, profile = "gas.underground-methane", district, location = new { lon = 120.4, lat = 36.3 },
            });
            await accepted.ShouldBeAsync(HttpStatusCode.Created);
        }
        using var refused = await admin.PostAsJsonAsync($"/v1/adapters/{adapter}/devices", new
        {
            deviceId = "d-x", profile = "gas.underground-methane", district = "370299", location = new { lon = 120.4, lat = 36.3 },
        });

        var finding = Assert.Single(Findings(await refused.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed")));
        Assert.Equal(("/district", "area.unknown"), (finding.Pointer, finding.Code));
    }

    [Fact]
    public async Task OrganizationGrantAndDistrictOverride_WithAnUnknownArea_AreRefused()
    {
        using var admin = await Hub.AdminAsync();
        var org = HubFixture.Unique("areas-org");
        await admin.CreateOrganizationAsync(org);

        using var organization = await admin.PostAsJsonAsync("/v1/organizations", new { id = HubFixture.Unique("nowhere"), name = "Nowhere", kind = "district", areaCode = "379900" });
        using var grant = await admin.PostAsJsonAsync("/v1/grants", new { granteeOrganizationId = org, district = "999900", expiresAt = DateTimeOffset.UtcNow.AddDays(1) });
        using var overrides = await admin.PutAsJsonAsync("/v1/parameter-overrides", new { scope = "district", key = "370299", profile = "gas.underground-methane", parameters = new { coverTiltDeg = 20 } });

        Assert.Equal(("/areaCode", "area.unknown"), Single(await organization.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed")));
        Assert.Equal(("/district", "area.unknown"), Single(await grant.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed")));
        Assert.Equal(("/key", "area.unknown"), Single(await overrides.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed")));

        static (string, string) Single(JsonNode problem)
        {
            var finding = Assert.Single(Findings(problem));
            return (finding.Pointer, finding.Code);
        }
    }
}
