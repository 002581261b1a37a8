using System.Net;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Tests.ClosedLoop;

/// <summary>The routing table a hub seeds on its first start from the city plan's 责任单位 (specs/routing/qingdao-2022.json).</summary>
public sealed class RoutingPlanTests() : OwnHub(new() { ["Routing:Plan"] = "qingdao-2022" })
{
    [Fact]
    public async Task Seed_RoutesARedGasAlertInShinan_ToTheLeadBureauAndTheDistrictGovernment()
    {
        using var admin = await Hub.AdminAsync();
        var table = (await admin.GetJsonAsync("/v1/routes?domain=gas")).AsArray();
        Assert.Contains(table, r => r!["organizationId"]?.GetValue<string>() == "qd-urban-management" && r["role"]!.GetValue<string>() == "lead"
            && r["organizationName"]!.GetValue<string>() == "市城市管理局" && r["updatedBy"]!["id"]!.GetValue<string>() == "plan");
        Assert.Contains(table, r => r!["target"]!.GetValue<string>() == "district" && r["organizationId"] is null);
        var audit = (await admin.GetJsonAsync("/v1/audit?limit=1000"))["items"]!.AsArray();
        Assert.Single(audit, a => a!["action"]!.GetValue<string>() == "routing.seed");
        // Each domain's supervising organization (督办) is the city's work-safety committee office.
        var supervisor = Assert.Single((await admin.GetJsonAsync("/v1/supervisors?domain=gas")).AsArray())!;
        Assert.Equal(("qd-safety-office", "市安委会办公室", null), (supervisor["organizationId"]!.GetValue<string>(), supervisor["organizationName"]!.GetValue<string>(), supervisor["district"]?.GetValue<string>()));

        using var shinan = await Hub.UnitAsync("seed-shinan", areaCode: "370202");
        using var bureau = await Hub.UnitAsync("qd-urban-management", exists: true);
        using var water = await Hub.UnitAsync("qd-water", exists: true);
        using var owner = await Hub.OwnerAsync("seed-gasco", "seed-ch4");

        var alert = await Hub.RaiseAsync(owner, "seed-ch4");

        Assert.Equal("red", alert["level"]!.GetValue<string>());
        var units = LoopClient.Units(alert);
        Assert.Equal(("qd-urban-management", "lead", "routed"), units[0]);
        Assert.Contains(("seed-shinan", "participant", "routed"), units);
        Assert.Equal("qd-urban-management", alert["responsibleOrganizationId"]!.GetValue<string>());
        Assert.Equal("市城市管理局", alert["units"]![0]!["organizationName"]!.GetValue<string>());
        // Each unit has the red deadlines of its own, counted from the routing.
        Assert.Equal(alert["raisedAt"]!.GetValue<DateTimeOffset>().AddMinutes(15), alert["units"]![0]!["acknowledgeBy"]!.GetValue<DateTimeOffset>());
        // The raise's own event names every unit.
        var raised = await Hub.QueryAsync(db => db.Outbox.AsNoTracking().SingleAsync(e => e.Subject == alert["id"]!.ToString() && e.Type == "city.integrationhub.alert.raised.v1"));
        var data = JsonNode.Parse(raised.Data)!;
        Assert.Equal(units.Select(u => u.Organization), data["units"]!.AsArray().Select(u => u!["organizationId"]!.GetValue<string>()));
        // The bureau reads it; a bureau it was not routed to does not.
        var id = alert["id"]!.GetValue<long>();
        await bureau.GetJsonAsync($"/v1/alerts/{id}");
        await (await water.GetAsync(new Uri($"/v1/alerts/{id}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "alert.not-found");
        Assert.Contains((await bureau.GetJsonAsync("/v1/alerts?unit=qd-urban-management"))["items"]!.AsArray(), a => a!["id"]!.GetValue<long>() == id);
    }
}
