using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Tests.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using IntegrationHub.Gateway.Tests.Subscriptions;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.ClosedLoop;

/// <summary>
/// Supervision (督办, LOOP-005): a unit's share that missed its deadline escalates along the chain, the unit's leads, then
/// the supervising organization of the alert's domain and district, then the operator, each step after the previous
/// step's own deadline, on the alert and on every channel; acknowledging stops it; a sandbox drill never escalates. The
/// sweep runs at each move of the hub's clock. Each test routes alerts of a district of its own.
/// </summary>
public sealed class SupervisionTests() : OwnHub(new(SubscriptionHubFixture.Settings())
{
    ["Auth:AccessTokenLifetime"] = "1.00:00:00",
    ["Alerts:SweepInterval"] = "01:00:00",
    ["Alerts:Deadlines:Red:Acknowledge"] = "00:05:00",
    ["Alerts:Deadlines:Red:Resolve"] = "02:00:00",
    ["Supervision:Lead"] = "00:10:00",
    ["Supervision:Supervisor"] = "00:20:00",
})
{
    private const string Supervised = "city.integrationhub.alert.supervised.v1";

    /// <summary>Moves the hub's clock and sweeps at the new time, so that no background sweep judges a moment the test did not.</summary>
    private async Task AdvanceAsync(double minutes)
    {
        Hub.Time.Advance(TimeSpan.FromMinutes(minutes));
        await Hub.Services.GetRequiredService<AlertEngine>().SweepAsync(TestContext.Current.CancellationToken);
    }

    private DateTimeOffset In(double minutes) => DateTimeOffset.FromUnixTimeMilliseconds(Hub.Time.GetUtcNow().ToUnixTimeMilliseconds()).AddMinutes(minutes);

    private static async Task<JsonArray> ChainAsync(HttpClient client, long id) => (await client.GetJsonAsync($"/v1/alerts/{id}/supervision")).AsArray();

    private static async Task SupervisorAsync(HttpClient admin, object line)
    {
        using var response = await admin.PostAsJsonAsync("/v1/supervisors", line);
        await response.ShouldBeAsync(HttpStatusCode.Created);
    }

    private static async Task RouteAsync(HttpClient admin, string district, string organizationId)
    {
        using var response = await admin.PostAsJsonAsync("/v1/routes", new { domain = "gas", district, organizationId, role = "lead" });
        await response.ShouldBeAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task AMissedAcknowledgement_TellsTheUnitsLeads_ThenTheSupervisingOrganization_ThenTheOperator_OnTheAlertAndEveryChannel()
    {
        using var admin = await Hub.AdminAsync();
        using var fire = await Hub.UnitAsync("chain-fire");
        using var office = await Hub.UnitAsync("chain-office");
        await admin.CreateOrganizationAsync("chain-city", "department");
        await RouteAsync(admin, "370211", "chain-fire");
        // The district's line is more specific than the city's, so it supervises alerts there.
        await SupervisorAsync(admin, new { domain = "gas", organizationId = "chain-city" });
        await SupervisorAsync(admin, new { domain = "gas", district = "370211", organizationId = "chain-office", note = "督办: 区安委办" });
        var (lead, leadId) = await Hub.PersonAsync("chain-fire", "lead", "Gao Lead");
        using (lead)
        {
            await using var webhook = await WebhookReceiver.StartAsync();
            await office.SubscribeAsync(new { name = "Supervised alerts", channel = "webhook", url = webhook.Url, filter = new { types = new[] { "alert" } } });
            var (board, opened) = await SseReader.OpenAsync(admin, "/v1/stream?types=alert");
            Assert.True(board is not null, $"the stream opened: {(int)opened.StatusCode}");
            await using var sse = board;
            using var owner = await Hub.OwnerAsync("chain-owner", "chain-ch4", district: "370211");
            var id = (await Hub.RaiseAsync(owner, "chain-ch4"))["id"]!.GetValue<long>();
            await (await office.GetAsync(new Uri($"/v1/alerts/{id}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "alert.not-found");

            // Red: five minutes to acknowledge. Then the unit's leads have ten, the supervising organization twenty.
            await AdvanceAsync(4.9);
            Assert.Empty(await ChainAsync(admin, id));
            await AdvanceAsync(0.1);
            var first = Assert.Single(await ChainAsync(admin, id))!;
            Assert.Equal((1, "lead", "acknowledge"), (first["level"]!.GetValue<int>(), first["step"]!.GetValue<string>(), first["missed"]!.GetValue<string>()));
            Assert.Equal(("chain-fire", "chain-fire"), (first["unit"]!["organizationId"]!.GetValue<string>(), first["target"]!["organizationId"]!.GetValue<string>()));
            Assert.Equal((leadId, "Gao Lead"), (first["people"]![0]!["id"]!.GetValue<string>(), first["people"]![0]!["name"]!.GetValue<string>()));
            Assert.Equal(In(10), first["nextStepAt"]!.GetValue<DateTimeOffset>());
            Assert.Contains("did not acknowledge", first["reason"]!.GetValue<string>(), StringComparison.Ordinal);

            await AdvanceAsync(9.9);
            Assert.Single(await ChainAsync(admin, id));
            await AdvanceAsync(0.1);
            var second = (await ChainAsync(admin, id))[1]!;
            Assert.Equal((2, "supervisor", "chain-office"), (second["level"]!.GetValue<int>(), second["step"]!.GetValue<string>(), second["target"]!["organizationId"]!.GetValue<string>()));
            Assert.Equal("Organization chain-office", second["target"]!["name"]!.GetValue<string>());
            // The organization told reads the alert from then on.
            Assert.Equal(id, (await office.GetJsonAsync($"/v1/alerts/{id}"))["alert"]!["id"]!.GetValue<long>());

            await AdvanceAsync(20);
            await AdvanceAsync(60);
            var chain = await ChainAsync(admin, id);
            Assert.Equal(["lead", "supervisor", "operator"], chain.Select(s => s!["step"]!.GetValue<string>()));
            Assert.Equal("operator", chain[2]!["target"]!["organizationId"]!.GetValue<string>());
            Assert.Null(chain[2]!["nextStepAt"]);

            // The alert keeps its level (the rule's own re-notifications go on beside the chain); each step is in its
            // history and an event valid against the spec.
            var detail = await admin.GetJsonAsync($"/v1/alerts/{id}");
            Assert.Equal(("red", "raised"), (detail["alert"]!["level"]!.GetValue<string>(), detail["alert"]!["state"]!.GetValue<string>()));
            Assert.Equal(["raised", "supervised", "supervised", "supervised"], detail["history"]!.AsArray().Select(h => h!["kind"]!.GetValue<string>()).Where(k => k != "renotified"));
            var events = (await AlertEventTests.AlertEventsAsync(Hub, "chain-owner")).Select(e => AlertEventTests.AssertValid(e, "hub")).ToList();
            Assert.Equal(["lead", "supervisor", "operator"],
                events.Where(e => e.GetProperty("transition").GetString() == "supervised").Select(e => e.GetProperty("supervision").GetProperty("step").GetString()));

            // The operator's board streams every step; the supervising organization's webhook gets the steps from its own on.
            var streamed = 0;
            while (streamed < 3)
            {
                streamed += JsonNode.Parse((await sse!.NextEventAsync()).Data!)!["type"]!.GetValue<string>() == Supervised ? 1 : 0;
            }
            var hooked = (await webhook.WaitForDeliveriesAsync(2)).Where(d => d.Header("ce-type") == Supervised).ToList();
            Assert.Equal(2, hooked.Count);
            var told = JsonNode.Parse(hooked[0].Text)!;
            Assert.Equal(("supervisor", "chain-office"), (told["supervision"]!["step"]!.GetValue<string>(), told["supervision"]!["target"]!["organizationId"]!.GetValue<string>()));
        }
    }

    [Fact]
    public async Task AcknowledgingMidChain_StopsIt_AndTheResolveDeadlineStartsItsOwn()
    {
        using var admin = await Hub.AdminAsync();
        using var fire = await Hub.UnitAsync("stop-fire");
        await admin.CreateOrganizationAsync("stop-office", "department");
        await RouteAsync(admin, "370212", "stop-fire");
        await SupervisorAsync(admin, new { domain = "gas", district = "370212", organizationId = "stop-office" });
        using var owner = await Hub.OwnerAsync("stop-owner", "stop-ch4", district: "370212");
        var id = (await Hub.RaiseAsync(owner, "stop-ch4"))["id"]!.GetValue<long>();

        await AdvanceAsync(5);
        Assert.Single(await ChainAsync(admin, id));
        await fire.PostOkAsync($"/v1/alerts/{id}/units/stop-fire/acknowledge", new { note = "crew on the way" });
        await AdvanceAsync(10);
        await AdvanceAsync(20);
        Assert.Single(await ChainAsync(admin, id));

        // Two hours to resolve, from the routing: the missed resolve deadline is a chain of its own.
        await AdvanceAsync(85);
        var chain = await ChainAsync(admin, id);
        Assert.Equal([("lead", "acknowledge"), ("lead", "resolve")], chain.Select(s => (s!["step"]!.GetValue<string>(), s["missed"]!.GetValue<string>())));
        await fire.PostOkAsync($"/v1/alerts/{id}/units/stop-fire/resolve", new { measures = "valve closed, re-measured" });
        await AdvanceAsync(10);
        await AdvanceAsync(20);
        Assert.Equal(2, (await ChainAsync(admin, id)).Count);
    }

    [Fact]
    public async Task ASandboxDrill_NeverEscalates()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("drill-office", "department");
        await SupervisorAsync(admin, new { domain = "gas", district = "370213", organizationId = "drill-office" });
        using var owner = await Hub.OwnerAsync("drill-owner", "drill-ch4", district: "370213", sandbox: true);
        await Hub.SendMethaneAsync(owner, "drill-ch4", 1, 60);
        var id = (await owner.GetJsonAsync("/v1/alerts?device=drill-ch4"))["items"]![0]!["id"]!.GetValue<long>();

        await AdvanceAsync(5);
        await AdvanceAsync(10);
        await AdvanceAsync(20);
        await AdvanceAsync(120);
        Assert.Empty(await ChainAsync(owner, id));
        var history = (await owner.GetJsonAsync($"/v1/alerts/{id}"))["history"]!.AsArray().Select(h => h!["kind"]!.GetValue<string>()).ToList();
        Assert.DoesNotContain("supervised", history);
        Assert.DoesNotContain("escalated", history);
    }

    [Fact]
    public async Task SupervisingOrganizations_AreManagedByTheOperator_Audited_AndReadByThoseWhoReadAlerts()
    {
        using var admin = await Hub.AdminAsync();
        using var unit = await Hub.UnitAsync("manage-unit");
        await admin.CreateOrganizationAsync("manage-office", "department");
        using var created = await admin.PostAsJsonAsync("/v1/supervisors", new { domain = "gas", district = "370214", organizationId = "manage-office", note = "区安委办" });
        var line = await created.ShouldBeAsync(HttpStatusCode.Created);
        var lineId = line["id"]!.GetValue<long>();
        Assert.Equal(("manage-office", "test-admin"), (line["organizationId"]!.GetValue<string>(), line["updatedBy"]!["id"]!.GetValue<string>()));

        using (var bad = await admin.PostAsJsonAsync("/v1/supervisors", new { domain = "lava", district = "37", organizationId = "nobody" }))
        {
            var problem = await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
            Assert.Equal(["/district", "/domain", "/organizationId"], problem["errors"]!.AsArray().Select(e => e!["pointer"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        }
        await (await unit.PostAsJsonAsync("/v1/supervisors", new { domain = "gas", organizationId = "manage-unit" })).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
        Assert.Contains((await unit.GetJsonAsync("/v1/supervisors?domain=gas")).AsArray(), s => s!["id"]!.GetValue<long>() == lineId);

        using (var updated = await admin.PutAsJsonAsync($"/v1/supervisors/{lineId}", new { domain = "gas", district = "370214", profile = "gas.underground-methane", organizationId = "manage-office" }))
        {
            Assert.Equal("gas.underground-methane", (await updated.ShouldBeAsync(HttpStatusCode.OK))["profile"]!.GetValue<string>());
        }
        (await admin.DeleteAsync(new Uri($"/v1/supervisors/{lineId}", UriKind.Relative))).Dispose();
        await (await admin.DeleteAsync(new Uri($"/v1/supervisors/{lineId}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "supervisor.not-found");
        var audit = (await admin.GetJsonAsync("/v1/audit?limit=1000"))["items"]!.AsArray()
            .Where(a => a!["target"]?.GetValue<string>() == $"supervisor/{lineId}").Select(a => a!["action"]!.GetValue<string>());
        Assert.Equal(["supervisor.create", "supervisor.delete", "supervisor.update"], audit.Order(StringComparer.Ordinal));
    }
}
