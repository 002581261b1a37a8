using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Tests.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.ClosedLoop;

/// <summary>
/// Review (复盘, LOOP-010) and the loop's measures (LOOP-011), driven as Shinan's monitoring centre runs them: a red gas
/// alert routed to two units, each acknowledging, assigning, commenting and resolving with feedback, closed by the
/// operator, reviewed; a second one a false alarm. Every step is taken at a known minute of the fake clock, so the
/// measures' percentiles are exact.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class ReviewTests() : OwnHub(new() { ["Auth:AccessTokenLifetime"] = "1.00:00:00" })
{
    private const string Shinan = "370202";

    [Fact]
    public async Task AJointRedGasAlert_IsReviewedFromItsRecord_AndTheMeasuresReflectEveryUnitsTimes()
    {
        using var admin = await Hub.AdminAsync();
        using var fire = await Hub.UnitAsync("rv-fire");
        using (var created = await admin.PostAsJsonAsync("/v1/organizations", new { id = "rv-gas", name = "青岛市燃气公司, 市南", kind = "enterprise" }))
        {
            await created.ShouldBeAsync(HttpStatusCode.Created);
        }
        using var gas = await Hub.UnitAsync("rv-gas", exists: true);
        using var foreign = await Hub.UnitAsync("rv-foreign");
        await RouteAsync(admin, "rv-fire", "lead");
        await RouteAsync(admin, "rv-gas", "participant");
        var (fireOfficer, fireOfficerId) = await Hub.PersonAsync("rv-fire", "officer", "Qi Officer");
        var (gasLead, gasLeadId) = await Hub.PersonAsync("rv-gas", "lead", "Ren Lead");
        using var owner1 = await Hub.OwnerAsync("rv-owner-1", "rv-ch4-1", district: Shinan);
        using var owner2 = await Hub.OwnerAsync("rv-owner-2", "rv-ch4-2", district: Shinan);

        // The leak: the fire brigade acknowledges at 2 minutes, the gas company at 6; resolved at 30 and 50; closed at 60.
        var leak = await Hub.RaiseAsync(owner1, "rv-ch4-1");
        var id = leak["id"]!.GetValue<long>();
        Assert.Equal(["rv-fire", "rv-gas"], LoopClient.Units(leak).Select(u => u.Organization));
        var share = (string unit) => $"/v1/alerts/{id}/units/{unit}";
        await AtAsync(2, () => fire.PostOkAsync($"{share("rv-fire")}/acknowledge", new { }));
        await AtAsync(3, () => fire.PostOkAsync($"{share("rv-fire")}/assign", new { userId = fireOfficerId, note = "Qi to the well" }));
        await AtAsync(4, () => fire.PostOkAsync($"/v1/alerts/{id}/comments", new { text = "Cordon set at the well." }));
        await AtAsync(6, () => gas.PostOkAsync($"{share("rv-gas")}/acknowledge", new { }));
        await AtAsync(7, () => gas.PostOkAsync($"{share("rv-gas")}/assign", new { userId = gasLeadId }));
        await AtAsync(8, () => gas.PostOkAsync($"/v1/alerts/{id}/comments", new { text = "Valve crew on its way." }));
        await AtAsync(30, () => fire.PostOkAsync($"{share("rv-fire")}/resolve", new { measures = "Area evacuated and ventilated.", cause = "pipeline-leak", falseAlarm = false }));
        await AtAsync(50, () => gas.PostOkAsync($"{share("rv-gas")}/resolve", new { measures = "Riser joint replaced.", cause = "pipeline-leak", falseAlarm = false }));
        await AtAsync(60, () => admin.PostOkAsync($"/v1/alerts/{id}/close", new { note = "Riser repaired; the well is watched afresh.", confirm = true }));

        // A false alarm, raised an hour later: the fire brigade acknowledges at 4 minutes, the gas company at 20, past the
        // red level's 15; both find nothing, at 40 and 70.
        var noise = (await Hub.RaiseAsync(owner2, "rv-ch4-2"))["id"]!.GetValue<long>();
        await AtAsync(64, () => fire.PostOkAsync($"/v1/alerts/{noise}/units/rv-fire/acknowledge", new { }));
        await AtAsync(80, () => gas.PostOkAsync($"/v1/alerts/{noise}/units/rv-gas/acknowledge", new { }));
        await AtAsync(100, () => fire.PostOkAsync($"/v1/alerts/{noise}/units/rv-fire/resolve", new { measures = "No gas at the well.", cause = "device-fault", falseAlarm = true }));
        await AtAsync(130, () => gas.PostOkAsync($"/v1/alerts/{noise}/units/rv-gas/resolve", new { measures = "Network pressure normal.", cause = "device-fault", falseAlarm = true }));
        await admin.PostOkAsync($"/v1/alerts/{noise}/close", new { note = "Detector replaced.", confirm = true });

        // Both closed red alerts await their lessons.
        Assert.Equal([noise, id], await ReviewIdsAsync(admin, "pending"));
        var record = await admin.GetJsonAsync($"/v1/alerts/{id}/review");
        Assert.Equal("pending", record["status"]!.GetValue<string>());
        Assert.Equal(
            [
                ("raised", null, 0), ("unit.acknowledged", "rv-fire", 2), ("assigned", "rv-fire", 3), ("commented", "rv-fire", 4),
                ("unit.acknowledged", "rv-gas", 6), ("assigned", "rv-gas", 7), ("commented", "rv-gas", 8),
                ("unit.resolved", "rv-fire", 30), ("resolved", "rv-gas", 50), ("closed", null, 60),
            ],
            record["timeline"]!.AsArray().Select(e => (e!["kind"]!.GetValue<string>(), e["organization"]?.GetValue<string>(), Minute(e["at"]!))));
        var timeline = record["timeline"]!.AsArray();
        Assert.Equal("Qi Officer", timeline[2]!["assignee"]!["name"]!.GetValue<string>());
        Assert.Equal("Cordon set at the well.", timeline[3]!["note"]!.GetValue<string>());
        Assert.Equal(["rv-fire", "rv-gas"], record["units"]!.AsArray().Select(u => u!["organizationId"]!.GetValue<string>()));
        Assert.All(record["units"]!.AsArray(), u => Assert.Equal("resolved", u!["state"]!.GetValue<string>()));
        Assert.Equal([("rv-fire", "pipeline-leak"), ("rv-gas", "pipeline-leak")],
            record["feedback"]!.AsArray().Select(f => (f!["organizationId"]!.GetValue<string>(), f["cause"]!.GetValue<string>())));

        // Who writes: the operator and the units' leads; a unit's officer does not, nor a unit's client without users:manage.
        await (await fireOfficer.Http.PutAsJsonAsync($"/v1/alerts/{id}/review", new { lessons = "x" })).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
        await (await fire.PutAsJsonAsync($"/v1/alerts/{id}/review", new { lessons = "x" })).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
        using (var blank = await admin.PutAsJsonAsync($"/v1/alerts/{id}/review", new { lessons = " " }))
        {
            var problem = await blank.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
            Assert.Equal("/lessons", problem["errors"]![0]!["pointer"]!.GetValue<string>());
        }
        using (var written = await admin.PutAsJsonAsync($"/v1/alerts/{id}/review", new { lessons = "立管接头老化：纳入年度更换计划。", followUp = "Survey every riser of the block." }))
        {
            var done = await written.ShouldBeAsync(HttpStatusCode.OK);
            Assert.Equal(("done", "立管接头老化：纳入年度更换计划。"), (done["status"]!.GetValue<string>(), done["lessons"]!.GetValue<string>()));
            Assert.Equal(HubFactory.AdminId, done["writtenBy"]!["id"]!.GetValue<string>());
        }
        using (var lead = await gasLead.Http.PutAsJsonAsync($"/v1/alerts/{noise}/review", new { lessons = "Detector drift: calibrate quarterly." }))
        {
            Assert.Equal("Ren Lead", (await lead.ShouldBeAsync(HttpStatusCode.OK))["writtenBy"]!["name"]!.GetValue<string>());
        }
        Assert.Equal([noise, id], await ReviewIdsAsync(admin, "done"));
        Assert.Empty(await ReviewIdsAsync(admin, "pending"));

        // Those who read the alert read its review; another organization learns nothing.
        Assert.Equal("立管接头老化：纳入年度更换计划。", (await fire.GetJsonAsync($"/v1/alerts/{id}/review"))["lessons"]!.GetValue<string>());
        await (await foreign.GetAsync(new Uri($"/v1/alerts/{id}/review", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "alert.not-found");
        await (await foreign.PutAsJsonAsync($"/v1/alerts/{id}/review", new { lessons = "x" })).ShouldBeProblemAsync(HttpStatusCode.NotFound, "alert.not-found");
        Assert.Empty(await ReviewIdsAsync(foreign, "done"));

        // By now both terminals have been silent past three reporting intervals: the sweep raises their blue offline
        // alerts, routed to the same units, which took no step on them yet.
        await Hub.Services.GetRequiredService<AlertEngine>().SweepAsync(TestContext.Current.CancellationToken);

        // The measures per unit: every share's times in seconds, nearest-rank p50 and p90 of the two shares that took the step.
        var from = Hub.Time.GetUtcNow().AddDays(-1).ToString("O");
        var byUnit = (await admin.GetJsonAsync($"/v1/loop/measures?groupBy=unit&from={Uri.EscapeDataString(from)}"))["items"]!.AsArray();
        Assert.Equal(["rv-fire", "rv-gas"], byUnit.Select(r => r!["key"]!.GetValue<string>()));
        var (fireRow, gasRow) = (byUnit[0]!, byUnit[1]!);
        Assert.Equal((4, 2, 2, 4, 2, 2), (Int(fireRow, "alerts"), Int(fireRow, "red"), Int(fireRow, "blue"), Int(fireRow, "shares"), Int(fireRow, "acknowledged"), Int(fireRow, "resolved")));
        Assert.Equal((0.0, 0.0, 120.0, 240.0, 1800.0, 2400.0), Times(fireRow));
        Assert.Equal((0.0, 0.0, 360.0, 1200.0, 3000.0, 4200.0), Times(gasRow));
        Assert.Equal((0, 0.0), (Int(fireRow, "overdue"), fireRow["overdueRate"]!.GetValue<double>()));
        Assert.Equal((1, 0.25), (Int(gasRow, "overdue"), gasRow["overdueRate"]!.GetValue<double>()));
        Assert.Equal((2, 1, 2, 0), (Int(gasRow, "judged"), Int(gasRow, "falseAlarms"), Int(gasRow, "reviewsDone"), Int(gasRow, "reviewsPending")));
        Assert.Null(gasRow["devices"]);

        // Per district and per domain, over all eight shares; four alerts over two devices are 200 per 100 devices.
        foreach (var (groupBy, key) in new[] { ("district", Shinan), ("domain", "gas") })
        {
            var row = Assert.Single((await admin.GetJsonAsync($"/v1/loop/measures?groupBy={groupBy}&from={Uri.EscapeDataString(from)}"))["items"]!.AsArray())!;
            Assert.Equal((key, 4, 8, 1), (row["key"]!.GetValue<string>(), Int(row, "alerts"), Int(row, "shares"), Int(row, "overdue")));
            Assert.Equal((0.0, 0.0, 240.0, 1200.0, 2400.0, 4200.0), Times(row));
            Assert.Equal((2, 200.0), (Int(row, "devices"), row["alertsPer100Devices"]!.GetValue<double>()));
        }

        // The same rows as CSV (with a BOM, so that Excel reads the Chinese name) and as an XLSX workbook that opens.
        var query = $"/v1/loop/measures?groupBy=unit&from={Uri.EscapeDataString(from)}";
        using (var csv = await admin.GetAsync(new Uri(query + "&format=csv", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
            Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
            var bytes = await csv.Content.ReadAsByteArrayAsync();
            Assert.Equal([0xEF, 0xBB, 0xBF], bytes[..3]);
            var lines = System.Text.Encoding.UTF8.GetString(bytes[3..]).Split("\r\n");
            Assert.StartsWith("key,name,alerts,red,orange,yellow,blue,shares,acknowledged,resolved,dispatchP50,", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("rv-gas,\"青岛市燃气公司, 市南\",4,2,0,0,2,4,2,2,0,0,360,1200,3000,4200,1,0.25,,,2,1,2,0", lines[2], StringComparison.Ordinal);
            Assert.Equal("", lines[^1]);
        }
        var request = new HttpRequestMessage(HttpMethod.Get, query);
        request.Headers.Accept.ParseAdd("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        using (var xlsx = await admin.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.OK, xlsx.StatusCode);
            using var workbook = new MemoryStream(await xlsx.Content.ReadAsByteArrayAsync());
            var rows = MiniExcelLibs.MiniExcel.Query(workbook, useHeaderRow: true).Cast<IDictionary<string, object>>().ToList();
            Assert.Equal(["rv-fire", "rv-gas"], rows.Select(r => (string)r["key"]));
            Assert.Equal("青岛市燃气公司, 市南", rows[1]["name"]);
            Assert.Equal((1200.0, 0.25, 4200.0), (Convert.ToDouble(rows[1]["acknowledgeP90"], System.Globalization.CultureInfo.InvariantCulture),
                Convert.ToDouble(rows[1]["overdueRate"], System.Globalization.CultureInfo.InvariantCulture), Convert.ToDouble(rows[1]["resolveP90"], System.Globalization.CultureInfo.InvariantCulture)));
        }
        await (await admin.GetAsync(new Uri(query + "&format=pdf", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.invalid-parameter");

        // A unit reads its own measures only; another organization has none.
        Assert.Equal(["rv-fire"], (await fire.GetJsonAsync("/v1/loop/measures?groupBy=unit"))["items"]!.AsArray().Select(r => r!["key"]!.GetValue<string>()));
        Assert.Equal(4, Int(Assert.Single((await gas.GetJsonAsync("/v1/loop/measures?groupBy=district"))["items"]!.AsArray())!, "shares"));
        Assert.Empty((await foreign.GetJsonAsync("/v1/loop/measures?groupBy=district"))["items"]!.AsArray());
        await (await admin.GetAsync(new Uri("/v1/loop/measures?groupBy=person", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.invalid-parameter");
        await (await admin.GetAsync(new Uri($"/v1/loop/measures?from={Uri.EscapeDataString(Hub.Time.GetUtcNow().AddDays(-400).ToString("O"))}", UriKind.Relative)))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.invalid-parameter");

        // The false alarm counts for its device, its profile and its adapter.
        var byDevice = (await admin.GetJsonAsync("/v1/loop/false-alarms?groupBy=device"))["items"]!.AsArray();
        Assert.Equal([("rv-ch4-2", 1, 1.0), ("rv-ch4-1", 0, 0.0)], byDevice.Select(Rate));
        Assert.Equal([("gas.underground-methane", 1, 0.5)], (await admin.GetJsonAsync("/v1/loop/false-alarms?groupBy=profile"))["items"]!.AsArray().Select(Rate));
        Assert.Equal([("rv-owner-2-adapter", 1, 1.0), ("rv-owner-1-adapter", 0, 0.0)], (await admin.GetJsonAsync("/v1/loop/false-alarms?groupBy=adapter"))["items"]!.AsArray().Select(Rate));
        Assert.Empty((await foreign.GetJsonAsync("/v1/loop/false-alarms?groupBy=adapter"))["items"]!.AsArray());
        fireOfficer.Dispose();
        gasLead.Dispose();

        // Minutes since the leak was raised.
        int Minute(JsonNode at) => (int)Math.Round((at.GetValue<DateTimeOffset>() - leak["raisedAt"]!.GetValue<DateTimeOffset>()).TotalMinutes);

        async Task AtAsync(int minute, Func<Task<JsonNode>> step)
        {
            Hub.Time.SetUtcNow(leak["raisedAt"]!.GetValue<DateTimeOffset>().AddMinutes(minute));
            await step();
        }
    }

    [Fact]
    public async Task AnOpenOrLowOrDrillAlert_AsksForNoReview_AndRefusesLessons()
    {
        using var admin = await Hub.AdminAsync();
        using var owner = await Hub.OwnerAsync("rv-owner-3", "rv-ch4-3", district: "370203");
        using var drill = await Hub.OwnerAsync("rv-owner-4", "rv-ch4-4", district: "370203", sandbox: true);
        var open = (await Hub.RaiseAsync(owner, "rv-ch4-3"))["id"]!.GetValue<long>();
        var record = await admin.GetJsonAsync($"/v1/alerts/{open}/review");
        Assert.Equal("not-required", record["status"]!.GetValue<string>());
        Assert.Equal("raised", Assert.Single(record["timeline"]!.AsArray())!["kind"]!.GetValue<string>());
        await (await admin.PutAsJsonAsync($"/v1/alerts/{open}/review", new { lessons = "Too early." })).ShouldBeProblemAsync(HttpStatusCode.Conflict, "alert.invalid-transition");

        // A sandbox drill, resolved and closed by its own organization, is no part of the city's reviews.
        var drillId = (await drill.AlertsAsync("rv-ch4-4")).Count;
        Assert.Equal(0, drillId);
        await Hub.SendMethaneAsync(drill, "rv-ch4-4", 1, 60);
        var drillAlert = Assert.Single(await drill.AlertsAsync("rv-ch4-4"))["id"]!.GetValue<long>();
        await drill.PostOkAsync($"/v1/alerts/{drillAlert}/resolve", new { note = "Drill over." });
        await drill.PostOkAsync($"/v1/alerts/{drillAlert}/close", new { note = "Drill over.", confirm = true });
        Assert.Equal("not-required", (await drill.GetJsonAsync($"/v1/alerts/{drillAlert}/review"))["status"]!.GetValue<string>());
        Assert.Empty(await ReviewIdsAsync(drill, "pending"));
        Assert.Empty(await ReviewIdsAsync(admin, "pending"));
    }

    [Fact]
    public async Task Reviews_AreListed_MostRecentlyClosedFirst_ThenById_AcrossPages()
    {
        using var admin = await Hub.AdminAsync();
        var ids = new List<long>();
        foreach (var n in new[] { 5, 6, 7 })
        {
            using var owner = await Hub.OwnerAsync($"rv-owner-{n}", $"rv-ch4-{n}", district: "370203");
            var id = (await Hub.RaiseAsync(owner, $"rv-ch4-{n}"))["id"]!.GetValue<long>();
            await owner.PostOkAsync($"/v1/alerts/{id}/resolve", new { note = "Valve closed." });
            ids.Add(id);
        }
        // The last raised is closed first; a minute later the other two, at one instant.
        await admin.PostOkAsync($"/v1/alerts/{ids[2]}/close", new { note = "Archived.", confirm = true });
        Hub.Time.Advance(TimeSpan.FromMinutes(1));
        await admin.PostOkAsync($"/v1/alerts/{ids[0]}/close", new { note = "Archived.", confirm = true });
        await admin.PostOkAsync($"/v1/alerts/{ids[1]}/close", new { note = "Archived.", confirm = true });

        long[] expected = [ids[1], ids[0], ids[2]];
        Assert.Equal(expected, await ReviewIdsAsync(admin, "pending"));
        var paged = new List<long>();
        string? cursor = null;
        do
        {
            var page = await admin.GetJsonAsync("/v1/reviews?limit=1" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            paged.AddRange(page["items"]!.AsArray().Select(r => r!["alertId"]!.GetValue<long>()));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null && paged.Count < 10);
        Assert.Equal(expected, paged);
        await (await admin.GetAsync(new Uri("/v1/reviews?cursor=bm90LWEtY3Vyc29y", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.invalid-parameter");
    }

    [Fact]
    public async Task AfterAReopening_AUnitsTimesCountFromIt_AndAResolvedAlertsStepsNeverTakenAreNotOverdue()
    {
        using var admin = await Hub.AdminAsync();
        using var fire = await Hub.UnitAsync("rv-fire");
        await RouteAsync(admin, "rv-fire", "lead");
        using var owner = await Hub.OwnerAsync("rv-owner-8", "rv-ch4-8", district: Shinan);
        var leak = await Hub.RaiseAsync(owner, "rv-ch4-8");
        var id = leak["id"]!.GetValue<long>();
        var raisedAt = leak["raisedAt"]!.GetValue<DateTimeOffset>();
        Hub.Time.SetUtcNow(raisedAt.AddMinutes(2));
        await fire.PostOkAsync($"/v1/alerts/{id}/units/rv-fire/acknowledge", new { });

        // The condition clears, and returns at 60 minutes: the alert reopens and goes back to the unit, which acknowledges
        // again 3 minutes later. Its deadlines run from the reopening, and so do its times.
        Hub.Time.SetUtcNow(raisedAt.AddMinutes(55));
        await Hub.SendMethaneAsync(owner, "rv-ch4-8", 10, 1, 1, 1, 1, 1);
        Assert.True((await admin.GetJsonAsync($"/v1/alerts/{id}"))["alert"]!["cleared"]!.GetValue<bool>());
        Hub.Time.SetUtcNow(raisedAt.AddMinutes(60));
        await Hub.SendMethaneAsync(owner, "rv-ch4-8", 1, 60);
        var reopened = (await admin.GetJsonAsync($"/v1/alerts/{id}"))["alert"]!;
        Assert.Equal(("rv-fire", "lead", "routed"), Assert.Single(LoopClient.Units(reopened)));
        Assert.Equal(raisedAt.AddMinutes(60), reopened["units"]![0]!["routedAt"]!.GetValue<DateTimeOffset>());
        Hub.Time.SetUtcNow(raisedAt.AddMinutes(63));
        await fire.PostOkAsync($"/v1/alerts/{id}/units/rv-fire/acknowledge", new { });

        // Another alert the operator resolves at 70 minutes over the unit, which never acknowledged, and closes: its
        // deadlines stopped with the resolution, long before the measures are read.
        using var quiet = await Hub.OwnerAsync("rv-owner-9", "rv-ch4-9", district: Shinan);
        var other = (await Hub.RaiseAsync(quiet, "rv-ch4-9"))["id"]!.GetValue<long>();
        Hub.Time.SetUtcNow(raisedAt.AddMinutes(70));
        await admin.PostOkAsync($"/v1/alerts/{other}/resolve", new { note = "Detector unplugged by the owner's crew.", @override = true });
        await admin.PostOkAsync($"/v1/alerts/{other}/close", new { note = "Archived.", confirm = true });
        Hub.Time.SetUtcNow(raisedAt.AddMinutes(185));

        // Over the two alerts' period. The clock's leaps also made the terminals' blue offline alerts, routed to the same
        // unit, which took no step on them and whose deadlines have not passed.
        var period = $"from={Uri.EscapeDataString(raisedAt.AddDays(-1).ToString("O"))}&to={Uri.EscapeDataString(raisedAt.AddMinutes(65).ToString("O"))}";
        var row = Assert.Single((await admin.GetJsonAsync($"/v1/loop/measures?groupBy=unit&{period}"))["items"]!.AsArray())!;
        Assert.Equal((1, 0.0, 180.0), (Int(row, "acknowledged"), D(row, "dispatchP90"), D(row, "acknowledgeP90")));
        // The reopened share is still being handled and its resolve deadline (2 hours from the reopening) has passed;
        // the resolved alert's share missed nothing while it was handled: the overdue shares are those supervision lists.
        var overdue = (await admin.GetJsonAsync("/v1/alerts/overdue?unit=rv-fire")).AsArray().Select(o => o!["alertId"]!.GetValue<long>()).ToList();
        Assert.Contains(id, overdue);
        Assert.DoesNotContain(other, overdue);
        Assert.True(Int(row, "overdue") == overdue.Count, $"overdue {Int(row, "overdue")}, listed {string.Join(", ", overdue)}; the alerts {id} and {other}");
    }

    private static int Int(JsonNode row, string name) => row[name]!.GetValue<int>();

    private static (double, double, double, double, double, double) Times(JsonNode row) =>
        (D(row, "dispatchP50"), D(row, "dispatchP90"), D(row, "acknowledgeP50"), D(row, "acknowledgeP90"), D(row, "resolveP50"), D(row, "resolveP90"));

    private static double D(JsonNode row, string name) => row[name]!.GetValue<double>();

    private static (string, int, double) Rate(JsonNode? row) => (row!["key"]!.GetValue<string>(), Int(row, "falseAlarms"), D(row, "rate"));

    private static async Task<List<long>> ReviewIdsAsync(HttpClient client, string status) =>
        [.. (await client.GetJsonAsync($"/v1/reviews?status={status}"))["items"]!.AsArray().Select(r => r!["alertId"]!.GetValue<long>())];

    private static async Task RouteAsync(HttpClient admin, string organizationId, string role)
    {
        using var route = await admin.PostAsJsonAsync("/v1/routes", new { domain = "gas", district = Shinan, organizationId, role });
        await route.ShouldBeAsync(HttpStatusCode.Created);
    }
}
