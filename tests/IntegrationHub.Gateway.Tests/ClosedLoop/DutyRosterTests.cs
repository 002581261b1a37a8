using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;

namespace IntegrationHub.Gateway.Tests.ClosedLoop;

/// <summary>
/// The duty roster and the hand-over (值班值守, 交接班; LOOP-006): a unit's leads put its people on shifts in Shanghai
/// time, a night shift crossing midnight; the hub says who is on duty as its clock moves; only the unit and the operator
/// see the roster; at shift change the outgoing officer hands over the unit's open and overdue alerts with a note, kept
/// as written, and the incoming officer accepts it.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class DutyRosterTests() : OwnHub(new()
{
    ["Auth:AccessTokenLifetime"] = "1.00:00:00",
    ["Users:SessionLifetime"] = "2.00:00:00",
    ["Alerts:SweepInterval"] = "01:00:00",
    ["Alerts:Deadlines:Red:Acknowledge"] = "00:05:00",
    ["Alerts:Deadlines:Red:Resolve"] = "02:00:00",
})
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    /// <summary>Moves the hub's clock forward to the next time the wall clocks in Shanghai show <paramref name="local"/>; that local date.</summary>
    private DateOnly MoveTo(TimeOnly local)
    {
        var now = Hub.Time.GetUtcNow().ToOffset(Shanghai);
        var date = DateOnly.FromDateTime(now.DateTime);
        var target = new DateTimeOffset(date.ToDateTime(local), Shanghai);
        if (target <= now)
        {
            (date, target) = (date.AddDays(1), target.AddDays(1));
        }
        Hub.Time.Leap(target - now);
        return date;
    }

    private static string Day(DateOnly date) => date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<JsonNode> ShiftAsync(HttpClient client, string unit, string userId, DateOnly date, string start, string end)
    {
        using var response = await client.PostAsJsonAsync($"/v1/organizations/{unit}/shifts", new { userId, date = Day(date), start, end });
        return await response.ShouldBeAsync(HttpStatusCode.Created);
    }

    private static async Task<List<string>> OnDutyAsync(HttpClient client, string unit, string query = "") =>
        [.. (await client.GetJsonAsync($"/v1/organizations/{unit}/duty{query}"))["onDuty"]!.AsArray().Select(s => s!["person"]!["name"]!.GetValue<string>())];

    [Fact]
    public async Task TheRoster_SaysWhoIsOnDuty_AsTheClockMoves_ANightShiftCrossingMidnightInShanghaiTime()
    {
        using (var admin = await Hub.AdminAsync())
        {
            await admin.CreateOrganizationAsync("roster-fire", "department");
        }
        var (lead, _) = await Hub.PersonAsync("roster-fire", "lead", "Liu Lead");
        var (_, dayId) = await Hub.PersonAsync("roster-fire", "officer", "Wang Day");
        var (_, nightId) = await Hub.PersonAsync("roster-fire", "officer", "Zhao Night");
        using (lead)
        {
            var today = MoveTo(new TimeOnly(7, 30));
            var day = await ShiftAsync(lead.Http, "roster-fire", dayId, today, "08:00", "20:00");
            var night = await ShiftAsync(lead.Http, "roster-fire", nightId, today, "20:00", "08:00");
            // Local times in, instants out: 20:00 in Shanghai is 12:00 UTC, and the night ends the next morning.
            Assert.Equal(new DateTimeOffset(today.ToDateTime(new TimeOnly(20, 0)), Shanghai), night["startsAt"]!.GetValue<DateTimeOffset>());
            Assert.Equal(new DateTimeOffset(today.AddDays(1).ToDateTime(new TimeOnly(8, 0)), Shanghai), night["endsAt"]!.GetValue<DateTimeOffset>());
            Assert.Equal((Day(today), "20:00", "08:00", "Zhao Night"),
                (night["date"]!.GetValue<string>(), night["start"]!.GetValue<string>(), night["end"]!.GetValue<string>(), night["person"]!["name"]!.GetValue<string>()));

            var before = await lead.Http.GetJsonAsync("/v1/organizations/roster-fire/duty");
            Assert.Empty(before["onDuty"]!.AsArray());
            Assert.Equal(day["id"]!.GetValue<long>(), before["next"]!["id"]!.GetValue<long>());

            MoveTo(new TimeOnly(8, 0));
            Assert.Equal(["Wang Day"], await OnDutyAsync(lead.Http, "roster-fire"));
            MoveTo(new TimeOnly(19, 59));
            Assert.Equal(["Wang Day"], await OnDutyAsync(lead.Http, "roster-fire"));
            MoveTo(new TimeOnly(20, 0));
            Assert.Equal(["Zhao Night"], await OnDutyAsync(lead.Http, "roster-fire"));
            // Past midnight the night shift goes on, into the next local date.
            MoveTo(new TimeOnly(0, 30));
            Assert.Equal(["Zhao Night"], await OnDutyAsync(lead.Http, "roster-fire"));
            MoveTo(new TimeOnly(8, 0));
            var after = await lead.Http.GetJsonAsync("/v1/organizations/roster-fire/duty");
            Assert.Empty(after["onDuty"]!.AsArray());
            Assert.Null(after["next"]);

            // Any instant may be asked about, and the roster lists both shifts on the day they start.
            var noon = Uri.EscapeDataString(new DateTimeOffset(today.ToDateTime(new TimeOnly(12, 0)), Shanghai).ToString("O"));
            Assert.Equal(["Wang Day"], await OnDutyAsync(lead.Http, "roster-fire", $"?at={noon}"));
            var roster = await lead.Http.GetJsonAsync($"/v1/organizations/roster-fire/shifts?from={Day(today)}&to={Day(today)}");
            Assert.Equal(["Wang Day", "Zhao Night"], roster.AsArray().Select(s => s!["person"]!["name"]!.GetValue<string>()));
        }
    }

    [Fact]
    public async Task TheRoster_IsKeptByTheUnitsLeadsAndTheOperator_Audited_ChecksItsShifts_AndIsSeenOnlyByTheUnit()
    {
        using var admin = await Hub.AdminAsync();
        using var unit = await Hub.UnitAsync("keep-fire");
        using var other = await Hub.UnitAsync("keep-water");
        var (lead, _) = await Hub.PersonAsync("keep-fire", "lead", "Qian Lead");
        var (officer, officerId) = await Hub.PersonAsync("keep-fire", "officer", "Sun Officer");
        var (otherLead, strangerId) = await Hub.PersonAsync("keep-water", "lead", "Zhou Stranger");
        using (lead)
        using (officer)
        using (otherLead)
        {
            var today = MoveTo(new TimeOnly(6, 0));
            using (var refused = await officer.Http.PostAsJsonAsync("/v1/organizations/keep-fire/shifts", new { userId = officerId, date = Day(today), start = "08:00", end = "20:00" }))
            {
                await refused.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
            }
            // Another unit neither keeps nor reads the roster, nor puts its people on it.
            using (var foreign = await otherLead.Http.PostAsJsonAsync("/v1/organizations/keep-fire/shifts", new { userId = strangerId, date = Day(today), start = "08:00", end = "20:00" }))
            {
                await foreign.ShouldBeProblemAsync(HttpStatusCode.NotFound, "organization.not-found");
            }
            await (await other.GetAsync(new Uri("/v1/organizations/keep-fire/duty", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "organization.not-found");
            await (await other.GetAsync(new Uri("/v1/organizations/keep-fire/shifts", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "organization.not-found");
            using (var bad = await lead.Http.PostAsJsonAsync("/v1/organizations/keep-fire/shifts", new { userId = strangerId, date = "07.12.2026", start = "8:00", end = "25:00" }))
            {
                var problem = await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
                Assert.Equal(["/date", "/end", "/start", "/userId"], problem["errors"]!.AsArray().Select(e => e!["pointer"]!.GetValue<string>()).Order(StringComparer.Ordinal));
            }

            var shift = await ShiftAsync(lead.Http, "keep-fire", officerId, today, "08:00", "08:00");
            var shiftId = shift["id"]!.GetValue<long>();
            // A whole day's duty; the same person cannot be on another shift inside it.
            Assert.Equal(TimeSpan.FromDays(1), shift["endsAt"]!.GetValue<DateTimeOffset>() - shift["startsAt"]!.GetValue<DateTimeOffset>());
            using (var overlap = await admin.PostAsJsonAsync("/v1/organizations/keep-fire/shifts", new { userId = officerId, date = Day(today.AddDays(1)), start = "07:00", end = "09:00" }))
            {
                var problem = await overlap.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
                Assert.Equal("/start", problem["errors"]![0]!["pointer"]!.GetValue<string>());
            }
            using (var updated = await admin.PutAsJsonAsync($"/v1/organizations/keep-fire/shifts/{shiftId}", new { userId = officerId, date = Day(today), start = "08:00", end = "18:00", note = "short day" }))
            {
                var body = await updated.ShouldBeAsync(HttpStatusCode.OK);
                Assert.Equal(("18:00", "test-admin"), (body["end"]!.GetValue<string>(), body["updatedBy"]!["id"]!.GetValue<string>()));
            }
            Assert.Single((await unit.GetJsonAsync("/v1/organizations/keep-fire/shifts")).AsArray());
            await (await other.DeleteAsync(new Uri($"/v1/organizations/keep-water/shifts/{shiftId}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
            await (await otherLead.Http.DeleteAsync(new Uri($"/v1/organizations/keep-water/shifts/{shiftId}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "shift.not-found");
            (await lead.Http.DeleteAsync(new Uri($"/v1/organizations/keep-fire/shifts/{shiftId}", UriKind.Relative))).Dispose();
            Assert.Empty((await unit.GetJsonAsync("/v1/organizations/keep-fire/shifts")).AsArray());

            var audit = (await admin.GetJsonAsync("/v1/audit?limit=1000"))["items"]!.AsArray()
                .Where(a => a!["target"]?.GetValue<string>() == $"shift/{shiftId}").Select(a => a!["action"]!.GetValue<string>());
            Assert.Equal(["shift.create", "shift.delete", "shift.update"], audit.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task AHandOver_ListsTheUnitsOpenAndOverdueAlerts_WithTheOutgoingNote_KeptAsWritten_AndTheIncomingOfficerAcceptsIt()
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync("hand-fire", "department", null);
        await admin.CreateOrganizationAsync("hand-water", "department", null);
        using (var route = await admin.PostAsJsonAsync("/v1/routes", new { domain = "gas", district = "370213", organizationId = "hand-fire", role = "lead" }))
        {
            await route.ShouldBeAsync(HttpStatusCode.Created);
        }
        var (lead, _) = await Hub.PersonAsync("hand-fire", "lead", "Feng Lead");
        var (day, dayId) = await Hub.PersonAsync("hand-fire", "officer", "Chen Day");
        var (night, nightId) = await Hub.PersonAsync("hand-fire", "officer", "Wei Night");
        using (lead)
        using (day)
        using (night)
        {
            var today = MoveTo(new TimeOnly(19, 0));
            await ShiftAsync(lead.Http, "hand-fire", dayId, today, "08:00", "20:00");
            var nightShift = await ShiftAsync(lead.Http, "hand-fire", nightId, today, "20:00", "08:00");

            // One red alert nobody acknowledged within its five minutes, and one raised just now.
            using var owner = await Hub.OwnerAsync("hand-owner", "hand-ch4", district: "370213");
            using (var registrar = await Hub.AdminAsync())
            {
                await registrar.RegisterDeviceAsync("hand-owner-adapter", "hand-ch4-b", district: "370213");
            }
            var late = (await Hub.RaiseAsync(owner, "hand-ch4"))["id"]!.GetValue<long>();
            MoveTo(new TimeOnly(19, 58));
            var fresh = (await Hub.RaiseAsync(owner, "hand-ch4-b"))["id"]!.GetValue<long>();

            // The lead is on no shift: a hand-over needs one.
            using (var noShift = await lead.Http.PostAsJsonAsync("/v1/organizations/hand-fire/handovers", new { note = "nothing" }))
            {
                await noShift.ShouldBeProblemAsync(HttpStatusCode.Conflict, "handover.no-shift");
            }
            using (var empty = await day.Http.PostAsJsonAsync("/v1/organizations/hand-fire/handovers", new { note = " " }))
            {
                await empty.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
            }

            // Just after the shift's end, the day officer hands over the own shift.
            MoveTo(new TimeOnly(20, 1));
            using var created = await day.Http.PostAsJsonAsync("/v1/organizations/hand-fire/handovers", new { note = "两处燃气报警，一处已超时未确认，请优先处置" });
            var handover = await created.ShouldBeAsync(HttpStatusCode.Created);
            var handoverId = handover["id"]!.GetValue<long>();
            Assert.Equal(("Chen Day", "Wei Night", nightShift["id"]!.GetValue<long>()),
                (handover["outgoing"]!["name"]!.GetValue<string>(), handover["incoming"]!["name"]!.GetValue<string>(), handover["incomingShiftId"]!.GetValue<long>()));
            // The hours the clock moved may have let the devices' absence rule raise alerts of its own: the counts are those of the list.
            var alerts = handover["alerts"]!.AsArray().ToDictionary(a => a!["alertId"]!.GetValue<long>(), a => a!);
            Assert.Equal((alerts.Count, alerts.Values.Count(a => a["missed"]!.AsArray().Count > 0)), (handover["openCount"]!.GetValue<int>(), handover["overdueCount"]!.GetValue<int>()));
            Assert.Equal(["acknowledge"], alerts[late]["missed"]!.AsArray().Select(m => m!.GetValue<string>()));
            Assert.Empty(alerts[fresh]["missed"]!.AsArray());
            Assert.Equal(("red", "routed"), (alerts[late]["level"]!.GetValue<string>(), alerts[late]["unitState"]!.GetValue<string>()));

            // The clock moved up to a day since the test began, as long as a token lives: the units' adapters and the operator take theirs now.
            using var unit = await Hub.UnitAsync("hand-fire", exists: true);
            using var other = await Hub.UnitAsync("hand-water", exists: true);
            using var auditor = await Hub.AdminAsync();

            // What happens after is not written into the record.
            await unit.PostOkAsync($"/v1/alerts/{late}/units/hand-fire/acknowledge", new { note = "night shift on it" });
            var read = await night.Http.GetJsonAsync($"/v1/organizations/hand-fire/handovers/{handoverId}");
            Assert.Equal("routed", read["alerts"]!.AsArray().Single(a => a!["alertId"]!.GetValue<long>() == late)!["unitState"]!.GetValue<string>());

            var accepted = await night.Http.PostOkAsync($"/v1/organizations/hand-fire/handovers/{handoverId}/accept", new { note = "收到" });
            Assert.Equal(("Wei Night", "收到"), (accepted["acceptedBy"]!["name"]!.GetValue<string>(), accepted["acceptNote"]!.GetValue<string>()));
            using (var again = await night.Http.PostAsJsonAsync($"/v1/organizations/hand-fire/handovers/{handoverId}/accept", new { }))
            {
                await again.ShouldBeProblemAsync(HttpStatusCode.Conflict, "handover.invalid-transition");
            }
            Assert.Equal(handoverId, (await unit.GetJsonAsync("/v1/organizations/hand-fire/handovers"))[0]!["id"]!.GetValue<long>());
            await (await other.GetAsync(new Uri($"/v1/organizations/hand-fire/handovers/{handoverId}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "organization.not-found");
            await (await other.GetAsync(new Uri($"/v1/organizations/hand-water/handovers/{handoverId}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "handover.not-found");
            Assert.Contains((await auditor.GetJsonAsync("/v1/audit?limit=1000"))["items"]!.AsArray(),
                a => a!["target"]?.GetValue<string>() == $"handover/{handoverId}" && a["action"]!.GetValue<string>() == "handover.accept");
        }
    }
}
