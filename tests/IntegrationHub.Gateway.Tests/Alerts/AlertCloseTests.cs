using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Alerts.Cap;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Tests.Alerts;

/// <summary>
/// Closing an alert whose condition still holds (ALR-002, specs/rules.md §10): refused unless confirmed with a note, and
/// once closed the device is watched afresh from the close, on the hub's fake clock.
/// </summary>
public sealed class AlertCloseTests() : OwnHub(AlertSettings.WithoutDeadlines(new()
{
    ["Auth:AccessTokenLifetime"] = "1.00:00:00",
    // The tests sweep when they move the clock; the background sweep never judges a moment they did not.
    ["Alerts:SweepInterval"] = "01:00:00",
}))
{
    private AlertEngine Engine => Hub.Services.GetRequiredService<AlertEngine>();

    /// <summary>A red methane alert at 80 %LEL, resolved by the crew while the device still reads 80.</summary>
    private async Task<(HttpClient Owner, long AlertId)> ResolvedRedAsync(string organizationId)
    {
        var owner = await Hub.ManagerAsync(organizationId, "ch4-1");
        await Hub.SendMethaneAsync(owner, "ch4-1", 5, 80);
        var alert = Assert.Single(await owner.AlertsAsync("ch4-1"));
        Assert.Equal(("red", false), (alert["level"]!.GetValue<string>(), alert["cleared"]!.GetValue<bool>()));
        var id = alert["id"]!.GetValue<long>();
        await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/resolve", new { note = "main valve closed, ventilating" })).ShouldBeAsync(HttpStatusCode.OK);
        Hub.Time.Advance(TimeSpan.FromMinutes(5));
        await Hub.SendMethaneAsync(owner, "ch4-1", 5, 80);
        return (owner, id);
    }

    [Fact]
    public async Task Close_WhileTheConditionHolds_IsRefusedWithoutAConfirmedNote()
    {
        var (owner, id) = await ResolvedRedAsync("close-refused");
        using (owner)
        {
            var refused = await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/close", new { note = "archived" })).ShouldBeProblemAsync(HttpStatusCode.Conflict, "alert.condition-active");
            Assert.Contains("confirm", refused["detail"]!.GetValue<string>(), StringComparison.Ordinal);
            await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/close", new { confirm = false, note = "archived" })).ShouldBeProblemAsync(HttpStatusCode.Conflict, "alert.condition-active");
            var noNote = await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/close", new { confirm = true })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
            Assert.Equal("/note", noNote["errors"]![0]!["pointer"]!.GetValue<string>());

            var alert = (await owner.GetJsonAsync($"/v1/alerts/{id}"))["alert"]!;
            Assert.Equal(("resolved", "red"), (alert["state"]!.GetValue<string>(), alert["level"]!.GetValue<string>()));
            Assert.Equal(["raised", "resolved"], await owner.HistoryKindsAsync(id));
        }
    }

    [Fact]
    [Trait(TestStorage.Trait, TestStorage.BothProviders)]
    public async Task Close_InTheSecondAnotherNodeIssuedACapIdentifier_TakesTheNextOne()
    {
        var (owner, id) = await ResolvedRedAsync("close-identifier");
        using (owner)
        {
            // Another node of a cluster, with a sequence of its own, issued this second's first identifier.
            var now = Hub.Time.GetUtcNow().ToUnixTimeMilliseconds();
            var options = Hub.Services.GetRequiredService<IOptions<AlertOptions>>().Value;
            var theirs = new CapIdentifiers(options.AreaCode, options.SectorCode).Next(now);
            await using (var scope = Hub.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<HubDb>();
                db.AlertEvents.Add(new AlertEvent { AlertId = id, At = now, Kind = "renotified", State = AlertState.Resolved, Level = AlertLevel.Red, Actor = AlertBook.Engine, CapIdentifier = theirs });
                await db.SaveChangesAsync(TestContext.Current.CancellationToken);
            }

            await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/close", new { confirm = true, note = "sensor flooded, replacement ordered" })).ShouldBeAsync(HttpStatusCode.OK);
            var ours = (await owner.GetJsonAsync($"/v1/alerts/{id}"))["history"]!.AsArray()[^1]!["capIdentifier"]!.GetValue<string>();
            Assert.Equal(theirs[..^1] + "1", ours);
        }
    }

    [Fact]
    public async Task ConfirmedClose_OfARedAlertStillAt80_ThenYellowReadings_RaiseAYellowAlertOnceItsForIsMet()
    {
        var (owner, id) = await ResolvedRedAsync("close-yellow");
        using (owner)
        {
            Hub.Time.Advance(TimeSpan.FromMinutes(5));
            var closed = await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/close", new { confirm = true, note = "sensor flooded, replacement ordered" })).ShouldBeAsync(HttpStatusCode.OK);
            Assert.Equal(("closed", false), (closed["state"]!.GetValue<string>(), closed["cleared"]!.GetValue<bool>()));

            // 20 %LEL is in the yellow range, which needs two samples (rules.md §10.1): the first raises nothing.
            Hub.Time.Advance(TimeSpan.FromMinutes(5));
            await Hub.SendMethaneAsync(owner, "ch4-1", 5, 20);
            Assert.Equal([id], (await owner.AlertsAsync("ch4-1")).Select(a => a["id"]!.GetValue<long>()));

            Hub.Time.Advance(TimeSpan.FromMinutes(5));
            await Hub.SendMethaneAsync(owner, "ch4-1", 5, 20);
            var alerts = await owner.AlertsAsync("ch4-1");
            Assert.Equal(2, alerts.Count);
            var yellow = alerts.Single(a => a["id"]!.GetValue<long>() != id);
            Assert.Equal(("yellow", "raised", false), (yellow["level"]!.GetValue<string>(), yellow["state"]!.GetValue<string>(), yellow["cleared"]!.GetValue<bool>()));
            Assert.Equal(["raised", "resolved", "closed"], await owner.HistoryKindsAsync(id));
            var steps = (await owner.GetJsonAsync($"/v1/alerts/{id}"))["history"]!.AsArray();
            Assert.Equal("sensor flooded, replacement ordered", steps[^1]!["note"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task ConfirmedClose_WhileTheDeviceStillReadsRed_RaisesANewRedAlertAtTheNextReading()
    {
        var (owner, id) = await ResolvedRedAsync("close-red");
        using (owner)
        {
            await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/close", new { confirm = true, note = "handed to the gas company" })).ShouldBeAsync(HttpStatusCode.OK);
            Hub.Time.Advance(TimeSpan.FromMinutes(5));
            await Hub.SendMethaneAsync(owner, "ch4-1", 5, 80);

            var again = (await owner.AlertsAsync("ch4-1")).Single(a => a["id"]!.GetValue<long>() != id);
            Assert.Equal(("red", "raised"), (again["level"]!.GetValue<string>(), again["state"]!.GetValue<string>()));
        }
    }

    [Fact]
    public async Task ConfirmedClose_OfAnOfflineAlert_CountsTheSilenceAgainFromTheClose()
    {
        using var owner = await Hub.ManagerAsync("close-offline", "ch4-1");
        await Hub.SendMethaneAsync(owner, "ch4-1", 5, 1);
        // Three reporting intervals (PT15M) of silence raise the offline alert.
        await AdvanceAsync(TimeSpan.FromMinutes(46));
        var offline = Assert.Single(await owner.AlertsAsync("ch4-1", "offline"));
        var id = offline["id"]!.GetValue<long>();
        await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/resolve", new { note = "terminal's battery is flat" })).ShouldBeAsync(HttpStatusCode.OK);
        await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/close", new { note = "archived" })).ShouldBeProblemAsync(HttpStatusCode.Conflict, "alert.condition-active");
        await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/close", new { confirm = true, note = "battery swap booked for tomorrow" })).ShouldBeAsync(HttpStatusCode.OK);

        // Still silent: nothing at once, but a new offline alert once the silence since the close spans three intervals.
        await AdvanceAsync(TimeSpan.FromMinutes(1));
        await AdvanceAsync(TimeSpan.FromMinutes(43));
        Assert.Single(await owner.AlertsAsync("ch4-1", "offline"));
        await AdvanceAsync(TimeSpan.FromMinutes(2));
        var alerts = await owner.AlertsAsync("ch4-1", "offline");
        Assert.Equal(2, alerts.Count);
        Assert.Equal(("blue", "raised"), (alerts[0]["level"]!.GetValue<string>(), alerts[0]["state"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Close_OfAClearedAlert_NeedsNoConfirmation()
    {
        using var owner = await Hub.ManagerAsync("close-cleared", "ch4-1");
        // Blue, then 2 %LEL for the half-hour hold: cleared.
        await Hub.SendMethaneAsync(owner, "ch4-1", 10, 6, 6, 1, 1, 1, 1, 1);
        var alert = Assert.Single(await owner.AlertsAsync("ch4-1"));
        Assert.True(alert["cleared"]!.GetValue<bool>());
        var closed = await (await owner.PostAsJsonAsync($"/v1/alerts/{alert["id"]}/close", new { note = "archived" })).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("closed", closed["state"]!.GetValue<string>());
    }

    /// <summary>Moves the hub's clock and sweeps at the new time.</summary>
    private async Task AdvanceAsync(TimeSpan span)
    {
        Hub.Time.Advance(span);
        await Engine.SweepAsync(TestContext.Current.CancellationToken);
    }
}
