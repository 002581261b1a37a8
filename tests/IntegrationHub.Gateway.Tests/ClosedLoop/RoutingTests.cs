using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using IntegrationHub.Gateway.Tests.Subscriptions;
using MQTTnet.Formatter;

namespace IntegrationHub.Gateway.Tests.ClosedLoop;

/// <summary>
/// Responsible units (LOOP-001, LOOP-002): the routing table seeded from the city plan's 责任单位, routing on raise,
/// joint response with each unit's own share, and tenancy on every channel. A hub of its own, with webhooks allowed to
/// loopback and an empty routing table (<see cref="RoutingPlanTests"/> has the seeded one); each test routes alerts of a district of its own, so that its routes touch no
/// other test's alerts.
/// </summary>
public sealed class RoutingTests() : OwnHub(new(SubscriptionHubFixture.Settings())
{
    // Tokens outlast the deadlines the overdue test lets pass on the hub's clock.
    ["Auth:AccessTokenLifetime"] = "1.00:00:00",
})
{
    [Fact]
    public async Task JointResponse_EachUnitAcknowledgesAndResolvesItsShare_AndTheAlertResolvesWithTheLast()
    {
        using var admin = await Hub.AdminAsync();
        using var fire = await Hub.UnitAsync("joint-fire");
        using var gasco = await Hub.UnitAsync("joint-gas-company");
        await RouteAsync(admin, "370281", "joint-fire", "lead");
        await RouteAsync(admin, "370281", "joint-gas-company", "participant");
        using var owner = await Hub.OwnerAsync("joint-owner", "joint-ch4", district: "370281");
        var alert = await Hub.RaiseAsync(owner, "joint-ch4");
        var id = alert["id"]!.GetValue<long>();
        Assert.Equal(["joint-fire", "joint-gas-company"], LoopClient.Units(alert).Select(u => u.Organization));

        // A unit acts for itself only.
        await (await fire.PostAsJsonAsync($"/v1/alerts/{id}/units/joint-gas-company/acknowledge", new { note = "not ours" }))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound, "unit.not-found");
        var acknowledged = await fire.PostOkAsync($"/v1/alerts/{id}/units/joint-fire/acknowledge", new { note = "crew on the way" });
        Assert.Equal("acknowledged", acknowledged["state"]!.GetValue<string>());
        Assert.Contains(("joint-fire", "lead", "acknowledged"), LoopClient.Units(acknowledged));
        await (await fire.PostAsJsonAsync($"/v1/alerts/{id}/units/joint-fire/acknowledge", new { }))
            .ShouldBeProblemAsync(HttpStatusCode.Conflict, "unit.invalid-transition");
        // The old acknowledge takes the caller's own share too.
        Assert.Contains(("joint-gas-company", "participant", "acknowledged"), LoopClient.Units(await gasco.PostOkAsync($"/v1/alerts/{id}/acknowledge", new { note = "valve team out" })));

        await (await fire.PostAsJsonAsync($"/v1/alerts/{id}/units/joint-fire/resolve", new { }))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        var one = await fire.PostOkAsync($"/v1/alerts/{id}/units/joint-fire/resolve", new { measures = "area cleared, well ventilated" });
        Assert.Equal("acknowledged", one["state"]!.GetValue<string>());
        // The alert is not resolved while a unit still works on it, not even by the owner; the operator needs an override.
        await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/resolve", new { note = "done?" })).ShouldBeProblemAsync(HttpStatusCode.Conflict, "alert.units-open");
        await (await admin.PostAsJsonAsync($"/v1/alerts/{id}/resolve", new { note = "done?" })).ShouldBeProblemAsync(HttpStatusCode.Conflict, "alert.units-open");

        var last = await gasco.PostOkAsync($"/v1/alerts/{id}/resolve", new { note = "pipe joint replaced" });
        Assert.Equal("resolved", last["state"]!.GetValue<string>());
        Assert.All(LoopClient.Units(last), u => Assert.Equal("resolved", u.State));

        var detail = await admin.GetJsonAsync($"/v1/alerts/{id}");
        var steps = detail["history"]!.AsArray().Select(s => (Kind: s!["kind"]!.GetValue<string>(), Organization: s["organization"]?.GetValue<string>())).ToList();
        Assert.Equal([("raised", null), ("unit.acknowledged", "joint-fire"), ("unit.acknowledged", "joint-gas-company"), ("unit.resolved", "joint-fire"), ("resolved", "joint-gas-company")],
            steps);
        var fireUnit = (await admin.GetJsonAsync($"/v1/alerts/{id}/units")).AsArray().Single(u => u!["organizationId"]!.GetValue<string>() == "joint-fire")!;
        Assert.Equal("area cleared, well ventilated", fireUnit["measures"]!.GetValue<string>());
        Assert.StartsWith("joint-fire", fireUnit["resolvedBy"]!["id"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Adapter " + fireUnit["resolvedBy"]!["id"]!.GetValue<string>(), fireUnit["resolvedBy"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Operator_OverridesUnitsStillWorking_WithANote()
    {
        using var admin = await Hub.AdminAsync();
        using var unit = await Hub.UnitAsync("override-unit");
        await RouteAsync(admin, "370283", "override-unit", "lead");
        using var owner = await Hub.OwnerAsync("override-owner", "override-ch4", district: "370283");
        var id = (await Hub.RaiseAsync(owner, "override-ch4"))["id"]!.GetValue<long>();

        await (await admin.PostAsJsonAsync($"/v1/alerts/{id}/resolve", new { note = "false alarm confirmed by phone", @override = true })).ShouldBeAsync(HttpStatusCode.OK);

        var detail = await admin.GetJsonAsync($"/v1/alerts/{id}");
        Assert.Equal("resolved", detail["alert"]!["state"]!.GetValue<string>());
        Assert.Equal("false alarm confirmed by phone", detail["history"]!.AsArray().Last()!["note"]!.GetValue<string>());
        // The unit keeps its state and may still give its feedback.
        Assert.Contains(("override-unit", "lead", "routed"), LoopClient.Units(detail["alert"]!));
        await unit.PostOkAsync($"/v1/alerts/{id}/units/override-unit/resolve", new { measures = "checked on site: nothing found" });
    }

    [Fact]
    public async Task Operator_AddsReroutesAndRemovesUnits_AndEachUnitSeesTheAlertOnlyWhileItIsOne()
    {
        using var admin = await Hub.AdminAsync();
        using var first = await Hub.UnitAsync("reroute-first");
        using var second = await Hub.UnitAsync("reroute-second");
        await RouteAsync(admin, "370285", "reroute-first", "lead");
        using var owner = await Hub.OwnerAsync("reroute-owner", "reroute-ch4", district: "370285");
        var id = (await Hub.RaiseAsync(owner, "reroute-ch4"))["id"]!.GetValue<long>();
        await (await second.GetAsync(new Uri($"/v1/alerts/{id}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "alert.not-found");

        // Only the operator routes.
        await (await first.PostAsJsonAsync($"/v1/alerts/{id}/units", new { organizationId = "reroute-second" })).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
        var added = await admin.PostOkAsync($"/v1/alerts/{id}/units", new { organizationId = "reroute-second", role = "participant", note = "joint response: gas and fire" });
        Assert.Equal("dispatched", added["state"]!.GetValue<string>());
        await second.GetJsonAsync($"/v1/alerts/{id}");
        using (var twice = await admin.PostAsJsonAsync($"/v1/alerts/{id}/units", new { organizationId = "reroute-second" }))
        {
            await twice.ShouldBeProblemAsync(HttpStatusCode.Conflict, "unit.invalid-transition");
        }
        using (var nobody = await admin.PostAsJsonAsync($"/v1/alerts/{id}/units", new { organizationId = "no-such-unit", role = "boss" }))
        {
            var problem = await nobody.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
            Assert.Equal(["/role", "/organizationId"], problem["errors"]!.AsArray().Select(e => e!["pointer"]!.GetValue<string>()));
        }

        // Re-routed to the second alone: the first no longer sees the alert, and the second is its lead.
        var rerouted = await admin.PostOkAsync($"/v1/alerts/{id}/reroute", new { units = new[] { new { organizationId = "reroute-second", role = "lead" } }, note = "the fire brigade takes over" });
        Assert.Equal([("reroute-second", "lead", "routed")], LoopClient.Units(rerouted));
        Assert.Equal("reroute-second", rerouted["responsibleOrganizationId"]!.GetValue<string>());
        await (await first.GetAsync(new Uri($"/v1/alerts/{id}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "alert.not-found");
        await (await first.PostAsJsonAsync($"/v1/alerts/{id}/acknowledge", new { })).ShouldBeProblemAsync(HttpStatusCode.NotFound, "alert.not-found");

        // Re-routed by the table: back to the first. Removing it leaves the alert to the owner.
        Assert.Equal([("reroute-first", "lead", "routed")], LoopClient.Units(await admin.PostOkAsync($"/v1/alerts/{id}/reroute", new { })));
        var removed = await admin.PostOkAsync($"/v1/alerts/{id}/units/reroute-first/remove", new { note = "handled by the owner" });
        Assert.Empty(LoopClient.Units(removed));
        Assert.Equal("reroute-owner", removed["responsibleOrganizationId"]!.GetValue<string>());
        var all = (await admin.GetJsonAsync($"/v1/alerts/{id}/units")).AsArray();
        Assert.All(all, u => Assert.Equal("removed", u!["state"]!.GetValue<string>()));
        await (await admin.PostAsJsonAsync($"/v1/alerts/{id}/units/reroute-first/remove", new { })).ShouldBeProblemAsync(HttpStatusCode.NotFound, "unit.not-found");
        Assert.Equal(["raised", "unit.added", "rerouted", "rerouted", "unit.removed"], await admin.HistoryKindsAsync(id));
    }

    [Fact]
    public async Task Dispatch_AddsAUnitBesideTheOthers_InsteadOfReplacingThem()
    {
        using var admin = await Hub.AdminAsync();
        using var brigade = await Hub.UnitAsync("dispatch-brigade");
        using var water = await Hub.UnitAsync("dispatch-water");
        using var owner = await Hub.OwnerAsync("dispatch-owner", "dispatch-ch4", district: "370211");
        var id = (await Hub.RaiseAsync(owner, "dispatch-ch4"))["id"]!.GetValue<long>();

        await admin.PostOkAsync($"/v1/alerts/{id}/dispatch", new { organizationId = "dispatch-brigade", note = "send a crew" });
        var again = await admin.PostOkAsync($"/v1/alerts/{id}/dispatch", new { organizationId = "dispatch-water", note = "and the water company" });

        Assert.Equal("dispatch-water", again["responsibleOrganizationId"]!.GetValue<string>());
        Assert.Contains(("dispatch-brigade", "lead", "routed"), LoopClient.Units(again));
        Assert.Contains(("dispatch-water", "participant", "routed"), LoopClient.Units(again));
        await brigade.GetJsonAsync($"/v1/alerts/{id}");
        await water.GetJsonAsync($"/v1/alerts/{id}");
    }

    [Fact]
    public async Task SandboxDrill_IsNeverRouted()
    {
        using var admin = await Hub.AdminAsync();
        using var unit = await Hub.UnitAsync("drill-unit");
        await RouteAsync(admin, "370214", "drill-unit", "lead");
        using var owner = await Hub.OwnerAsync("drill-owner", "drill-ch4", district: "370214", sandbox: true);
        await Hub.SendMethaneAsync(owner, "drill-ch4", 1, 60);
        var drill = Assert.Single(await owner.AlertsAsync("drill-ch4"));

        Assert.True(drill["sandbox"]!.GetValue<bool>());
        Assert.Empty(LoopClient.Units(drill));
        Assert.Empty((await unit.GetJsonAsync("/v1/alerts"))["items"]!.AsArray());
        var id = drill["id"]!.GetValue<long>();
        await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/reroute", new { })).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
    }

    [Fact]
    public async Task RoutingTable_IsTheOperators_CheckedWhole_AndAudited()
    {
        using var admin = await Hub.AdminAsync();
        using var unit = await Hub.UnitAsync("table-unit");
        using (var refused = await unit.PostAsJsonAsync("/v1/routes", new { domain = "gas", organizationId = "table-unit", role = "lead" }))
        {
            await refused.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
        }
        using (var bad = await admin.PostAsJsonAsync("/v1/routes", new { domain = "gas", district = "3702", profile = "water.leak-acoustic", minLevel = "purple", target = "organization", organizationId = "nobody" }))
        {
            var problem = await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
            Assert.Equal(["/district", "/profile", "/minLevel", "/organizationId", "/role"], problem["errors"]!.AsArray().Select(e => e!["pointer"]!.GetValue<string>()));
        }
        using (var districtWithId = await admin.PostAsJsonAsync("/v1/routes", new { domain = "gas", target = "district", organizationId = "table-unit", role = "participant" }))
        {
            await districtWithId.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        }

        using var created = await admin.PostAsJsonAsync("/v1/routes", new { domain = "gas", district = "370213", profile = "gas.underground-methane", minLevel = "orange", organizationId = "table-unit", role = "lead", note = "trial" });
        var route = await created.ShouldBeAsync(HttpStatusCode.Created);
        var routeId = route["id"]!.GetValue<long>();
        Assert.Equal(("table-unit", "Organization table-unit", "test-admin"),
            (route["organizationId"]!.GetValue<string>(), route["organizationName"]!.GetValue<string>(), route["updatedBy"]!["id"]!.GetValue<string>()));

        // Where an alert would go: orange and up, in Licang, of this profile.
        var match = await unit.GetJsonAsync("/v1/routes/match?domain=gas&district=370213&profile=gas.underground-methane&level=red");
        Assert.Equal(("table-unit", "lead"), (match["units"]![0]!["organizationId"]!.GetValue<string>(), match["units"]![0]!["role"]!.GetValue<string>()));
        var yellow = await unit.GetJsonAsync("/v1/routes/match?domain=gas&district=370213&profile=gas.underground-methane&level=yellow");
        Assert.DoesNotContain(yellow["units"]!.AsArray(), u => u!["organizationId"]!.GetValue<string>() == "table-unit");
        await (await unit.GetAsync(new Uri("/v1/routes/match?district=370213", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.invalid-parameter");

        using (var update = await admin.PutAsJsonAsync($"/v1/routes/{routeId}", new { domain = "gas", district = "370213", organizationId = "table-unit", role = "participant" }))
        {
            Assert.Equal("participant", (await update.ShouldBeAsync(HttpStatusCode.OK))["role"]!.GetValue<string>());
        }
        using (var delete = await admin.DeleteAsync(new Uri($"/v1/routes/{routeId}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }
        await (await admin.DeleteAsync(new Uri($"/v1/routes/{routeId}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "route.not-found");
        var audit = (await admin.GetJsonAsync("/v1/audit?limit=1000"))["items"]!.AsArray()
            .Where(a => a!["target"]!.GetValue<string>() == $"route/{routeId}").Select(a => a!["action"]!.GetValue<string>());
        Assert.Equal(["route.delete", "route.update", "route.create"], audit); // newest first
    }

    [Fact]
    public async Task EveryChannel_GivesAnAlertsEvents_ToEachOfItsUnits_AndToNoOtherUnit()
    {
        using var admin = await Hub.AdminAsync();
        using var lead = await Hub.UnitAsync("channel-lead");
        using var district = await Hub.UnitAsync("channel-district");
        using var outsider = await Hub.UnitAsync("channel-outsider");
        await RouteAsync(admin, "370212", "channel-lead", "lead");
        await RouteAsync(admin, "370212", "channel-district", "participant");
        using var owner = await Hub.OwnerAsync("channel-owner", "channel-ch4", district: "370212");

        await using var webhook = await WebhookReceiver.StartAsync();
        await lead.SubscribeAsync(new { name = "Hook", channel = "webhook", url = webhook.Url, filter = new { types = new[] { "alert" } } });
        var (stream, opened) = await SseReader.OpenAsync(district, "/v1/stream?types=alert");
        Assert.True(stream is not null, $"the stream opened: {(int)opened.StatusCode}");
        await using var sse = stream;
        var (outsiderStream, _) = await SseReader.OpenAsync(outsider, "/v1/stream?types=alert");
        await using var outsiderSse = outsiderStream!;
        await using var mqtt = await MqttEventSubscriber.ConnectAsync(Hub, (await AdapterOf(admin, "channel-lead")).Id, lead.DefaultRequestHeaders.Authorization!.Parameter!, MqttProtocolVersion.V500, "hub/v1/alerts/#");

        var alert = await Hub.RaiseAsync(owner, "channel-ch4");
        var id = alert["id"]!.ToString();

        var hooked = await webhook.WaitForDeliveriesAsync(1);
        Assert.Equal(("city.integrationhub.alert.raised.v1", id), (hooked[0].Header("ce-type"), hooked[0].Header("ce-subject")));
        var streamed = JsonNode.Parse((await sse.NextEventAsync()).Data!)!;
        Assert.Equal(("city.integrationhub.alert.raised.v1", id), (streamed["type"]!.GetValue<string>(), streamed["subject"]!.GetValue<string>()));
        var published = await mqtt.WaitUntilAsync(events => events.Any(e => e.Topic == "hub/v1/alerts/370212/gas/channel-ch4"));
        Assert.Contains(published, e => e.Event.Type == "city.integrationhub.alert.raised.v1" && e.Event.Data["alertId"]!.GetValue<string>() == id);

        // The outsider's stream skips the alert: the first alert event it gets is the one routed to it afterwards.
        await admin.PostOkAsync($"/v1/alerts/{id}/units", new { organizationId = "channel-outsider", note = "joint response" });
        var first = JsonNode.Parse((await outsiderSse.NextEventAsync()).Data!)!;
        Assert.Equal("city.integrationhub.alert.unit.added.v1", first["type"]!.GetValue<string>());
        Assert.Equal("channel-outsider", first["data"]!["unit"]!.GetValue<string>());
    }

    [Fact]
    public async Task Overdue_ListsEachUnitThatMissedItsDeadline_PerUnitAndDistrict_ToThoseWhoMayReadTheAlert()
    {
        using var admin = await Hub.AdminAsync();
        using var lead = await Hub.UnitAsync("overdue-lead");
        using var helper = await Hub.UnitAsync("overdue-helper");
        using var stranger = await Hub.UnitAsync("overdue-stranger");
        await RouteAsync(admin, "370215", "overdue-lead", "lead");
        await RouteAsync(admin, "370215", "overdue-helper", "participant");
        using var owner = await Hub.OwnerAsync("overdue-owner", "overdue-ch4", district: "370215");
        var id = (await Hub.RaiseAsync(owner, "overdue-ch4"))["id"]!.GetValue<long>();
        await lead.PostOkAsync($"/v1/alerts/{id}/units/overdue-lead/acknowledge", new { note = "on it" });
        static async Task<List<(string Unit, string Missed)>> OverdueAsync(HttpClient client, string query = "") =>
            [.. (await client.GetJsonAsync("/v1/alerts/overdue" + query)).AsArray()
                .Select(s => (s!["organizationId"]!.GetValue<string>(), string.Join('+', s["missed"]!.AsArray().Select(m => m!.GetValue<string>()))))];

        // Red: 15 minutes to acknowledge, two hours to resolve (the defaults). Nothing is overdue before.
        Hub.Time.Advance(TimeSpan.FromMinutes(14));
        Assert.Empty(await OverdueAsync(admin));
        Hub.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal([("overdue-helper", "acknowledge")], await OverdueAsync(admin, "?district=370215"));
        var share = (await admin.GetJsonAsync("/v1/alerts/overdue?unit=overdue-helper")).AsArray().Single()!;
        Assert.Equal((id, "participant", "routed"), (share["alertId"]!.GetValue<long>(), share["role"]!.GetValue<string>(), share["state"]!.GetValue<string>()));
        Assert.Equal(share["acknowledgeBy"]!.GetValue<DateTimeOffset>(), share["overdueSince"]!.GetValue<DateTimeOffset>());

        Hub.Time.Advance(TimeSpan.FromHours(2));
        Assert.Equal([("overdue-helper", "acknowledge+resolve"), ("overdue-lead", "resolve")], await OverdueAsync(admin));
        // Per unit and per district; a unit sees the shares of the alerts routed to it, a stranger none.
        Assert.Equal([("overdue-lead", "resolve")], await OverdueAsync(admin, "?unit=overdue-lead"));
        Assert.Empty(await OverdueAsync(admin, "?district=370214"));
        Assert.Equal(2, (await OverdueAsync(helper)).Count);
        Assert.Empty(await OverdueAsync(stranger));
        await (await admin.GetAsync(new Uri("/v1/alerts/overdue?district=37", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.invalid-parameter");

        // A unit that resolves its share leaves the list.
        await lead.PostOkAsync($"/v1/alerts/{id}/units/overdue-lead/resolve", new { measures = "valve closed" });
        Assert.Equal([("overdue-helper", "acknowledge+resolve")], await OverdueAsync(helper));
    }

    private static async Task RouteAsync(HttpClient admin, string district, string organizationId, string role)
    {
        using var response = await admin.PostAsJsonAsync("/v1/routes", new { domain = "gas", district, organizationId, role });
        await response.ShouldBeAsync(HttpStatusCode.Created);
    }

    private static async Task<(string Id, string Name)> AdapterOf(HttpClient admin, string organizationId)
    {
        var adapter = (await admin.GetJsonAsync($"/v1/organizations/{organizationId}/adapters")).AsArray()[0]!;
        return (adapter["id"]!.GetValue<string>(), adapter["name"]!.GetValue<string>());
    }
}
