using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Alerts;

/// <summary>
/// Every alert transition is an outbox event as specs/events.json lists it, with data valid against
/// schemas/alert-event.schema.json (EVT-001). The background sweep is slowed down so that only the test moves alerts.
/// </summary>
public sealed class AlertEventTests() : OwnHub(AlertSettings.WithoutDeadlines(new()
{
    ["Hub:Id"] = "qingdao",
    ["Auth:AccessTokenLifetime"] = "1.00:00:00",
    ["Alerts:SweepInterval"] = "01:00:00",
}))
{
    private static readonly SpecCatalog Spec = SpecCatalog.LoadDirectory(Path.Combine(Repository.Root, "specs"));

    private AlertEngine Engine => Hub.Services.GetRequiredService<AlertEngine>();

    /// <summary>The organization's alert events (its observations are announced in the outbox too).</summary>
    internal static Task<List<OutboxEvent>> AlertEventsAsync(HubFactory hub, string organizationId) =>
        hub.QueryAsync(db => db.Outbox.AsNoTracking().Where(e => e.OrganizationId == organizationId && e.Type != EventTypes.Observation).OrderBy(e => e.Id).ToListAsync());

    /// <summary>The envelope as events.json lists the type, and the data against the type's data schema.</summary>
    internal static JsonElement AssertValid(OutboxEvent outbox, string hubId = "qingdao")
    {
        var type = Assert.Single(Spec.Events.Types, t => t.Type == outbox.Type);
        Assert.Equal(type.Source.Replace("{hubId}", hubId, StringComparison.Ordinal), outbox.Source);
        var schema = Assert.Single(Spec.Schemas.Values, s => s.Id == type.DataSchema);
        using var document = JsonDocument.Parse(outbox.Data);
        var data = document.RootElement.Clone();
        Assert.Empty(SchemaFindings.Evaluate(schema, data));
        Assert.Equal($"city.integrationhub.alert.{data.GetProperty("transition").GetString()}.v1", outbox.Type);
        Assert.Equal(data.GetProperty("alertId").GetString(), outbox.Subject);
        return data;
    }

    [Fact]
    public async Task FullLifecycle_EveryOutboxRow_IsAValidAlertEvent()
    {
        var owner = await Hub.ManagerAsync("events-gasco", "ch4-1");
        var handler = await Hub.ManagerAsync("events-brigade", "");
        const string handlerAdapter = "events-brigade-adapter";
        using var admin = await Hub.AdminAsync();
        using (owner)
        using (handler)
        {
            // Raised orange, escalated to red, re-notified, back to orange after the hold, cleared, reopened at blue;
            // then the closed loop by people. Gaps stay under the absence rule's 45 minutes.
            await Hub.SendMethaneAsync(owner, "ch4-1", 5, 30, 30);
            Hub.Time.Advance(TimeSpan.FromMinutes(1));
            await Hub.SendMethaneAsync(owner, "ch4-1", 5, 55);
            Hub.Time.Advance(TimeSpan.FromMinutes(16));
            await Engine.SweepAsync(TestContext.Current.CancellationToken);
            Hub.Time.Advance(TimeSpan.FromMinutes(20));
            await Hub.SendMethaneAsync(owner, "ch4-1", 5, 30, 30, 30, 30, 30, 30, 30, 30);
            Hub.Time.Advance(TimeSpan.FromMinutes(40));
            await Hub.SendMethaneAsync(owner, "ch4-1", 5, 1, 1, 1, 1, 1, 1, 1, 1);
            Hub.Time.Advance(TimeSpan.FromMinutes(10));
            await Hub.SendMethaneAsync(owner, "ch4-1", 1, 7, 7);
            var id = (await owner.GetJsonAsync("/v1/alerts?device=ch4-1"))["items"]!.AsArray().Single(a => a!["ruleId"]!.GetValue<string>() == "ch4-level")!["id"]!.GetValue<long>();
            await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/acknowledge", new { note = "on it" })).ShouldBeAsync(HttpStatusCode.OK);
            await (await admin.PostAsJsonAsync($"/v1/alerts/{id}/dispatch", new { organizationId = "events-brigade", note = "send a crew" })).ShouldBeAsync(HttpStatusCode.OK);
            await (await handler.PostAsJsonAsync($"/v1/alerts/{id}/resolve", new { note = "valve closed" })).ShouldBeAsync(HttpStatusCode.OK);
            // Reopened at blue and still there: the close is confirmed (ALR-002).
            await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/close", new { note = "archived", confirm = true })).ShouldBeAsync(HttpStatusCode.OK);

            var events = await AlertEventsAsync(Hub, "events-gasco");
            var data = events.Select(e => AssertValid(e)).ToList();

            Assert.Equal(["raised", "escalated", "renotified", "deescalated", "cleared", "reopened", "acknowledged", "dispatched", "resolved", "closed"],
                data.Select(d => d.GetProperty("transition").GetString()));
            Assert.All(data, d => Assert.Equal(id.ToString(System.Globalization.CultureInfo.InvariantCulture), d.GetProperty("alertId").GetString()));
            Assert.All(data, d => Assert.Equal(("ch4-1", "ch4-level"), (d.GetProperty("dedupKey").GetProperty("deviceId").GetString(), d.GetProperty("dedupKey").GetProperty("ruleId").GetString())));
            Assert.Equal(events.Select(e => e.Id).Order(), events.Select(e => e.Id));

            // Level before and after, with the thresholds reached and the observation that made the change.
            var escalated = data[1];
            Assert.Equal(("red", "orange"), (escalated.GetProperty("level").GetString(), escalated.GetProperty("previousLevel").GetString()));
            Assert.Equal([("blue", 5.0), ("yellow", 10.0), ("orange", 25.0), ("red", 50.0)],
                escalated.GetProperty("causes").EnumerateArray().Select(c => (c.GetProperty("level").GetString(), c.GetProperty("threshold").GetDouble())));
            Assert.Equal(55, escalated.GetProperty("observation").GetProperty("value").GetDouble());
            Assert.Equal("ch4", escalated.GetProperty("observation").GetProperty("metric").GetString());
            Assert.StartsWith("ch4-1-", escalated.GetProperty("observation").GetProperty("messageId").GetString(), StringComparison.Ordinal);
            Assert.False(escalated.TryGetProperty("by", out _));

            var cleared = data[4];
            Assert.True(cleared.GetProperty("cleared").GetBoolean());
            Assert.Equal("raised", cleared.GetProperty("state").GetString());
            Assert.Equal(("blue", "orange"), (data[5].GetProperty("level").GetString(), data[5].GetProperty("previousLevel").GetString()));
            Assert.False(data[5].GetProperty("cleared").GetBoolean());

            // Lifecycle steps say who and why; the dispatch names the new responsible organization.
            Assert.Equal(("acknowledged", "events-gasco-adapter", "on it"), (data[6].GetProperty("state").GetString(), data[6].GetProperty("by").GetString(), data[6].GetProperty("note").GetString()));
            Assert.Equal("events-brigade", data[7].GetProperty("responsibleOrganizationId").GetString());
            Assert.Equal((handlerAdapter, "valve closed"), (data[8].GetProperty("by").GetString(), data[8].GetProperty("note").GetString()));
            Assert.Equal("closed", data[9].GetProperty("state").GetString());
            Assert.False(data[6].TryGetProperty("observation", out _));

            // Steps that produce a CAP message name it, as the history does.
            var history = (await owner.GetJsonAsync($"/v1/alerts/{id}"))["history"]!.AsArray();
            Assert.Equal(history.Select(h => h!["capIdentifier"]?.GetValue<string>()), data.Select(d => d.TryGetProperty("capIdentifier", out var c) ? c.GetString() : null));
            Assert.Equal("orange", history[1]!["previousLevel"]!.GetValue<string>());
            Assert.Equal(4, history[1]!["causes"]!.AsArray().Count);
        }
    }

    [Fact]
    public async Task Jt808AlarmFlags_EveryBitSetIsACause_NamedByItsFlag()
    {
        var vehicle = await Hub.ManagerAsync("events-coach", "lu-b-k8821", profile: "traffic.vehicle-jt808");
        using (vehicle)
        {
            var start = Hub.Time.GetUtcNow().AddMinutes(-5);
            JsonObject Flags(int index, long value) => new()
            {
                ["messageId"] = $"jt-{index}",
                ["deviceId"] = "lu-b-k8821",
                ["profile"] = "traffic.vehicle-jt808",
                ["time"] = start.AddSeconds(30 * index).ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture),
                ["observations"] = new JsonArray(new JsonObject { ["metric"] = "alarm_flags", ["value"] = value }),
            };

            // specs/rules.md §7.4.
            using var response = await vehicle.PostBatchAsync(Flags(0, 0), Flags(1, 6), Flags(2, 0x20000006), Flags(3, 2), Flags(4, 0));
            await response.ShouldBeAsync(HttpStatusCode.OK);
            await Engine.CaughtUpAsync(TestContext.Current.CancellationToken);

            var data = (await AlertEventsAsync(Hub, "events-coach")).Select(e => AssertValid(e)).ToList();
            Assert.Equal([("raised", "orange"), ("escalated", "red"), ("deescalated", "yellow"), ("cleared", "yellow")],
                data.Select(d => (d.GetProperty("transition").GetString(), d.GetProperty("level").GetString())));
            Assert.Equal([(1, "overspeed", "yellow"), (2, "fatigue", "orange"), (29, "collision-rollover", "red")],
                data[1].GetProperty("causes").EnumerateArray().Select(c => (c.GetProperty("bit").GetInt32(), c.GetProperty("name").GetString(), c.GetProperty("level").GetString())));
            Assert.Equal(("jt-2", 536870918.0), (data[1].GetProperty("observation").GetProperty("messageId").GetString(), data[1].GetProperty("observation").GetProperty("value").GetDouble()));
            Assert.False(data[3].TryGetProperty("causes", out _));
        }
    }
}
