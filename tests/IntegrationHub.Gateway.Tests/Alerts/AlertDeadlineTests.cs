using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Alerts;

/// <summary>
/// Lifecycle deadlines by level (处置时限, ALR-003, specs/rules.md §12) where the profile raises the level on a missed
/// deadline (<c>missedDeadline</c>, here for every level; the default is the supervision chain, <see cref="ClosedLoop.SupervisionTests"/>): an
/// alert not acknowledged, or not resolved, in time escalates one level and is notified again, driven by the sweep on
/// the hub's clock.
/// </summary>
public sealed class AlertDeadlineTests() : OwnHub(new()
{
    ["Auth:AccessTokenLifetime"] = "1.00:00:00",
    ["Alerts:SweepInterval"] = "01:00:00",
    ["Alerts:Deadlines:Yellow:Acknowledge"] = "00:20:00",
    ["Alerts:Deadlines:Yellow:Resolve"] = "02:00:00",
    ["Alerts:Deadlines:Orange:Acknowledge"] = "00:10:00",
    ["Alerts:Deadlines:Orange:Resolve"] = "03:00:00",
    ["Alerts:Deadlines:Red:Acknowledge"] = "00:05:00",
    ["Alerts:Deadlines:Red:Resolve"] = "00:15:00",
}, AlertSettings.RaisingOnMissedDeadlines("blue", "yellow", "orange", "red"))
{
    private AlertEngine Engine => Hub.Services.GetRequiredService<AlertEngine>();

    /// <summary>
    /// Moves the hub's clock and lets the sweep run at the new time. Every move sweeps, so the background sweep, which
    /// the clock may wake on the way, never judges a moment the test did not.
    /// </summary>
    private async Task AdvanceAsync(double minutes)
    {
        Hub.Time.Advance(TimeSpan.FromMinutes(minutes));
        await Engine.SweepAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Every five minutes of the hub's clock, the device reports <paramref name="value"/> (taken a minute earlier).</summary>
    private async Task ReportAsync(HttpClient client, string deviceId, double value, int times)
    {
        for (var i = 0; i < times; i++)
        {
            await AdvanceAsync(5);
            await Hub.SendMethaneAsync(client, deviceId, 5, value);
        }
    }

    /// <summary>The hub keeps times to the millisecond.</summary>
    private DateTimeOffset In(TimeSpan span) => DateTimeOffset.FromUnixTimeMilliseconds(Hub.Time.GetUtcNow().ToUnixTimeMilliseconds()) + span;

    private static async Task<JsonNode> AlertAsync(HttpClient client, string deviceId) =>
        (await client.GetJsonAsync($"/v1/alerts?device={deviceId}"))["items"]!.AsArray().Single(a => a!["ruleId"]!.GetValue<string>() == "ch4-level")!;

    private static async Task<List<(string Kind, string Level, string? Note)>> HistoryAsync(HttpClient client, long id) =>
        [.. (await client.GetJsonAsync($"/v1/alerts/{id}"))["history"]!.AsArray().Select(s => (s!["kind"]!.GetValue<string>(), s["level"]!.GetValue<string>(), s["note"]?.GetValue<string>()))];

    [Fact]
    public async Task NotAcknowledged_EscalatesALevelPerMissedDeadline_ThenRenotifiesAtRed()
    {
        using var owner = await Hub.ManagerAsync("deadline-ack", "ch4-1");
        await Hub.SendMethaneAsync(owner, "ch4-1", 5, 12, 12);
        var alert = await AlertAsync(owner, "ch4-1");
        var id = alert["id"]!.GetValue<long>();
        Assert.Equal("yellow", alert["level"]!.GetValue<string>());
        Assert.Equal(In(TimeSpan.FromMinutes(20)), alert["acknowledgeBy"]!.GetValue<DateTimeOffset>());
        Assert.Equal(In(TimeSpan.FromHours(2)), alert["resolveBy"]!.GetValue<DateTimeOffset>());

        await AdvanceAsync(19.9);
        Assert.Equal("yellow", (await AlertAsync(owner, "ch4-1"))["level"]!.GetValue<string>());
        await AdvanceAsync(0.1);
        var orange = await AlertAsync(owner, "ch4-1");
        Assert.Equal("orange", orange["level"]!.GetValue<string>());
        // The deadlines start again, at the new level's.
        Assert.Equal(In(TimeSpan.FromMinutes(10)), orange["acknowledgeBy"]!.GetValue<DateTimeOffset>());

        await AdvanceAsync(10);
        await AdvanceAsync(5);
        await AdvanceAsync(5);

        Assert.Equal(
            [
                ("raised", "yellow", null),
                ("escalated", "orange", "Not acknowledged within PT20M at yellow (处置时限)."),
                ("escalated", "red", "Not acknowledged within PT10M at orange (处置时限)."),
                ("renotified", "red", "Not acknowledged within PT5M at red (处置时限)."),
                ("renotified", "red", "Not acknowledged within PT5M at red (处置时限)."),
            ],
            await HistoryAsync(owner, id));

        // Each escalation is a CAP Update and an event valid against the spec, with the level before.
        var events = await AlertEventTests.AlertEventsAsync(Hub, "deadline-ack");
        var data = events.Select(e => AlertEventTests.AssertValid(e, "hub")).ToList();
        Assert.Equal(("escalated", "orange", "yellow"), (data[1].GetProperty("transition").GetString(), data[1].GetProperty("level").GetString(), data[1].GetProperty("previousLevel").GetString()));
        Assert.True(data[1].TryGetProperty("capIdentifier", out _));

        // Acknowledging stops the acknowledge deadline; the resolve deadline (PT15M at red, from the last missed
        // deadline) still runs.
        await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/acknowledge", new { note = "crew on the way" })).ShouldBeAsync(HttpStatusCode.OK);
        await AdvanceAsync(14);
        Assert.Equal(5, (await HistoryAsync(owner, id)).Count(s => s.Kind != "acknowledged"));
        await AdvanceAsync(1);
        Assert.Equal(("renotified", "red", "Not resolved within PT15M at red (处置时限)."), (await HistoryAsync(owner, id))[^1]);
    }

    [Fact]
    public async Task AcknowledgedButNotResolved_EscalatesAfterTheResolveDeadline_AndResolvingStopsIt()
    {
        using var owner = await Hub.ManagerAsync("deadline-resolve", "ch4-1");
        await Hub.SendMethaneAsync(owner, "ch4-1", 5, 12, 12);
        var id = (await AlertAsync(owner, "ch4-1"))["id"]!.GetValue<long>();
        await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/acknowledge", new { note = "seen" })).ShouldBeAsync(HttpStatusCode.OK);
        var acknowledged = await AlertAsync(owner, "ch4-1");
        Assert.Null(acknowledged["acknowledgeBy"]);

        await AdvanceAsync(119);
        Assert.Equal("yellow", (await AlertAsync(owner, "ch4-1"))["level"]!.GetValue<string>());
        await AdvanceAsync(1);
        var escalated = await AlertAsync(owner, "ch4-1");
        Assert.Equal(("orange", "acknowledged"), (escalated["level"]!.GetValue<string>(), escalated["state"]!.GetValue<string>()));
        Assert.Equal(("escalated", "orange", "Not resolved within PT2H at yellow (处置时限)."), (await HistoryAsync(owner, id))[^1]);

        await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/resolve", new { note = "leak sealed" })).ShouldBeAsync(HttpStatusCode.OK);
        await AdvanceAsync(120);
        Assert.Equal(["raised", "acknowledged", "escalated", "resolved"], (await HistoryAsync(owner, id)).Select(s => s.Kind));
        Assert.Null((await AlertAsync(owner, "ch4-1"))["resolveBy"]);
    }

    [Fact]
    public async Task AMissedDeadlinesLift_OutlastsTheRulesOwnLevelChanges()
    {
        using var owner = await Hub.ManagerAsync("deadline-lift", "ch4-1");
        await Hub.SendMethaneAsync(owner, "ch4-1", 5, 12, 12);
        var id = (await AlertAsync(owner, "ch4-1"))["id"]!.GetValue<long>();
        await AdvanceAsync(20);
        await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/acknowledge", new { note = "seen" })).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("orange", (await AlertAsync(owner, "ch4-1"))["level"]!.GetValue<string>());

        // The rule goes from yellow to blue (6 %LEL is beyond yellow's clear line, 8, but not blue's, 3; hold PT30M):
        // the alert, one level above its rule since the missed deadline, goes from orange to yellow.
        await ReportAsync(owner, "ch4-1", 6, 7);
        Assert.Equal("yellow", (await AlertAsync(owner, "ch4-1"))["level"]!.GetValue<string>());
        Assert.Equal(("deescalated", "yellow", null), (await HistoryAsync(owner, id))[^1]);

        // Clearing ends it whatever the lift, and a cleared alert waits for no deadline.
        await ReportAsync(owner, "ch4-1", 1, 7);
        Assert.True((await AlertAsync(owner, "ch4-1"))["cleared"]!.GetValue<bool>());
        await AdvanceAsync(180);
        Assert.Equal(["raised", "escalated", "acknowledged", "deescalated", "cleared"], (await HistoryAsync(owner, id)).Select(s => s.Kind));

        // A recurrence reopens it at the rule's own level, with fresh deadlines.
        await Hub.SendMethaneAsync(owner, "ch4-1", 1, 6, 6);
        var reopened = await AlertAsync(owner, "ch4-1");
        Assert.Equal(("blue", "raised", id), (reopened["level"]!.GetValue<string>(), reopened["state"]!.GetValue<string>(), reopened["id"]!.GetValue<long>()));
        Assert.Equal(In(TimeSpan.FromHours(4)), reopened["acknowledgeBy"]!.GetValue<DateTimeOffset>());
    }
}
