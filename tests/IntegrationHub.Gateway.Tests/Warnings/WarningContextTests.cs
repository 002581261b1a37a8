using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Tests.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static IntegrationHub.Gateway.Tests.Warnings.ContextHub;

namespace IntegrationHub.Gateway.Tests.Warnings;

/// <summary>
/// Agencies' warnings as context for rules (rules.md §5b, RULE-015), on a running hub: a rainstorm warning posted to
/// /v1/warnings shifts the levels of the drainage wells it covers while it holds, the change is recorded on their open
/// alerts, and a Cancel, an Update or the warning's expiry ends it. Coverage by GB/T 2260 geocode, polygon and circle.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class WarningContextTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    // Wells in districts of several cities, so that the tests' warnings, which share the hub, never cover each other's wells.
    private static readonly Well Laoshan = new("370212", 120.47, 36.10);
    private static readonly Well Shinan = new("370202", 120.38, 36.07);
    private static readonly Well Zhifu = new("370602", 121.40, 37.54);
    private static readonly Well Kuiwen = new("370705", 119.14, 36.71);
    private static readonly Well Lixia = new("370102", 117.08, 36.67);
    private static readonly Well Zhangdian = new("370303", 118.05, 36.80);
    private static readonly Well Dongying = new("370502", 118.58, 37.46);
    private static readonly Well Huancui = new("371002", 122.12, 37.51);

    private HubFactory Hub => fixture.Hub;

    private ContextHub On => new(fixture.Hub);

    [Fact]
    public async Task Rainstorm_ShiftsTheWellsLevels_WhileInForce_RecordedOnTheAlert_UntilCancelled()
    {
        var (client, _) = await On.DrainageAsync("rain-cancel", ("well-1", Zhifu));
        var (bureau, sender) = await On.BureauAsync("370600");
        await On.LevelsAsync(client, "well-1", 1.05);
        Assert.Equal("blue", (await AlertAsync(client, "well-1"))["level"]!.GetValue<string>());

        // A red rainstorm for the whole city (Yantai, 370600, contains Zhifu, 370602): the open alert records it at once.
        var sent = Time(Hub.Time.GetUtcNow());
        var warning = await PostAsync(bureau, On.Rainstorm(sender, "37060041600000_20261207120000_0", "Red", Geocode("370600")));
        await On.CaughtUpAsync();
        var started = (await HistoryAsync(client, await AlertAsync(client, "well-1"))).Last();
        Assert.Equal(("context", "blue"), (started["kind"]!.GetValue<string>(), started["level"]!.GetValue<string>()));
        Assert.Equal(("rainstorm", "orange", "red", warning["id"]!.GetValue<long>(), "暴雨"),
            (started["context"]!["warning"]!.GetValue<string>(), started["context"]!["atLeast"]!.GetValue<string>(), started["context"]!["level"]!.GetValue<string>(),
             started["context"]!["warningId"]!.GetValue<long>(), started["context"]!["event"]!.GetValue<string>()));

        // 72 % of the well: yellow by the rule's own levels, orange by the rainstorm's; the step says which levels judged it.
        Hub.Time.Advance(TimeSpan.FromMinutes(5));
        await On.LevelsAsync(client, "well-1", 1.45);
        var alert = await AlertAsync(client, "well-1");
        Assert.Equal("orange", alert["level"]!.GetValue<string>());
        var escalated = (await HistoryAsync(client, alert)).Last();
        Assert.Equal("escalated", escalated["kind"]!.GetValue<string>());
        Assert.Equal("rainstorm", escalated["context"]!["warning"]!.GetValue<string>());
        Assert.Equal(1.4, escalated["causes"]!.AsArray().Single(c => c!["level"]!.GetValue<string>() == "orange")!["threshold"]!.GetValue<double>(), 6);

        // The bureau cancels: the alert records the end, and the next readings are judged by the rule's own levels
        // again; the level falls only after the hold, as any de-escalation (yellow: 1.45 m is above 1.4 m).
        Hub.Time.Advance(TimeSpan.FromMinutes(5));
        await PostAsync(bureau, On.Rainstorm(sender, "37060041600000_20261207130000_1", "Red", Geocode("370600"), "Cancel", $"{sender},37060041600000_20261207120000_0,{sent}"));
        await On.CaughtUpAsync();
        var ended = (await HistoryAsync(client, await AlertAsync(client, "well-1"))).Last();
        Assert.Equal(("context", "orange"), (ended["kind"]!.GetValue<string>(), ended["level"]!.GetValue<string>()));
        Assert.Null(ended["context"]);
        Hub.Time.Advance(TimeSpan.FromMinutes(1));
        await On.LevelsAsync(client, "well-1", 1.45);
        Assert.Equal("orange", (await AlertAsync(client, "well-1"))["level"]!.GetValue<string>());
        Hub.Time.Advance(TimeSpan.FromMinutes(31));
        await On.LevelsAsync(client, "well-1", 1.45);
        alert = await AlertAsync(client, "well-1");
        Assert.Equal("yellow", alert["level"]!.GetValue<string>());
        Assert.Null((await HistoryAsync(client, alert)).Last()["context"]);
    }

    [Fact]
    public async Task Rainstorm_EndsWhenItExpires_AndAnOrangeOneStillShifts_AYellowOneDoesNot()
    {
        var (client, _) = await On.DrainageAsync("rain-expiry", ("well-2", Kuiwen), ("well-3", Kuiwen));
        var (bureau, sender) = await On.BureauAsync("370700");

        // A yellow rainstorm is below the entry's orange: the well keeps its own levels.
        await PostAsync(bureau, On.Rainstorm(sender, "37070041600000_20261207140000_0", "Yellow", Geocode("370705")));
        await On.LevelsAsync(client, "well-3", 1.45);
        Assert.Equal("yellow", (await AlertAsync(client, "well-3"))["level"]!.GetValue<string>());

        // An orange one that expires in half an hour shifts them until then.
        await PostAsync(bureau, On.Rainstorm(sender, "37070041600000_20261207140000_1", "Orange", Geocode("370705"), expiresIn: TimeSpan.FromMinutes(30)));
        // Readings are judged against the warnings that held when they were made: this one is made after the warning was sent.
        Hub.Time.Advance(TimeSpan.FromMinutes(2));
        await On.LevelsAsync(client, "well-2", 1.05);
        var alert = await AlertAsync(client, "well-2");
        Assert.Equal("yellow", alert["level"]!.GetValue<string>());
        Assert.Equal("orange", (await HistoryAsync(client, alert)).Last()["context"]!["level"]!.GetValue<string>());

        // Past its expiry, with no message from the bureau, the alert records the end at the engine's next pass.
        Hub.Time.Advance(TimeSpan.FromMinutes(31));
        await Hub.Services.GetRequiredService<AlertEngine>().SweepAsync(TestContext.Current.CancellationToken);
        var steps = await HistoryAsync(client, await AlertAsync(client, "well-2"));
        Assert.Equal("context", steps.Last()["kind"]!.GetValue<string>());
        Assert.Null(steps.Last()["context"]);
    }

    [Fact]
    public async Task Coverage_ByGeocodePolygonAndCircle_OnlyTheWellsInside_AndShapesDecideOverGeocodes()
    {
        var (client, _) = await On.DrainageAsync("rain-area",
            ("laoshan-geo", Laoshan), ("shinan-geo", Shinan),
            ("in-polygon", new Well("370203", 120.40, 36.12)), ("out-polygon", new Well("370203", 120.45, 36.12)),
            ("in-circle", new Well("370211", 120.20, 35.96)), ("out-circle", new Well("370211", 120.30, 35.96)));
        var (bureau, sender) = await On.BureauAsync();

        // By district code: 370212 covers Laoshan's well, not Shinan's.
        await PostAsync(bureau, On.Rainstorm(sender, "37020041600000_20261207150000_0", "Red", Geocode("370212")));
        // By polygon (lat,lon pairs) around 120.38–120.42 E, 36.10–36.14 N; its geocode (the whole city) does not widen it.
        await PostAsync(bureau, On.Rainstorm(sender, "37020041600000_20261207150000_1", "Orange",
            "<polygon>36.10,120.38 36.10,120.42 36.14,120.42 36.14,120.38 36.10,120.38</polygon>" + Geocode("370200")));
        // By circle: 3 km around 35.96 N 120.20 E (the other well is about 9 km east).
        await PostAsync(bureau, On.Rainstorm(sender, "37020041600000_20261207150000_2", "Red", "<circle>35.96,120.20 3</circle>" + Geocode("370211")));

        Hub.Time.Advance(TimeSpan.FromMinutes(2));
        foreach (var well in new[] { "laoshan-geo", "shinan-geo", "in-polygon", "out-polygon", "in-circle", "out-circle" })
        {
            await On.LevelsAsync(client, well, 1.45);
        }
        var levels = new Dictionary<string, string>();
        foreach (var well in new[] { "laoshan-geo", "shinan-geo", "in-polygon", "out-polygon", "in-circle", "out-circle" })
        {
            levels[well] = (await AlertAsync(client, well))["level"]!.GetValue<string>();
        }
        Assert.Equal(new Dictionary<string, string>
        {
            ["laoshan-geo"] = "orange", ["shinan-geo"] = "yellow", ["in-polygon"] = "orange", ["out-polygon"] = "yellow", ["in-circle"] = "orange", ["out-circle"] = "yellow",
        }, levels);
    }

    [Fact]
    public async Task DeviceContext_ShowsTheWarningAndLevelsInForce_ToItsOrganizationOnly()
    {
        var (client, organization) = await On.DrainageAsync("rain-context", ("well-9", Lixia));
        var (other, _) = await On.DrainageAsync("rain-other", ("well-9", Shinan));
        var (bureau, sender) = await On.BureauAsync("370100");
        var warning = await PostAsync(bureau, On.Rainstorm(sender, "37010041600000_20261207160000_0", "Red", Geocode("370102")));

        var context = await client.GetJsonAsync($"/v1/organizations/{organization}/devices/well-9/context");
        Assert.Contains(context["warnings"]!.AsArray(), w => w!["id"]!.GetValue<long>() == warning["id"]!.GetValue<long>());
        var rule = context["rules"]!.AsArray().Single(r => r!["ruleId"]!.GetValue<string>() == "water-level")!;
        Assert.Equal(("rainstorm", warning["id"]!.GetValue<long>()), (rule["context"]!["warning"]!.GetValue<string>(), rule["context"]!["warningId"]!.GetValue<long>()));
        Assert.Equal(1.4, rule["levels"]!["orange"]!.GetValue<double>(), 6);

        // Another enterprise, even with a device of the same id, does not read this one's context.
        using var refused = await other.GetAsync(new Uri($"/v1/organizations/{organization}/devices/well-9/context", UriKind.Relative));
        await refused.ShouldBeProblemAsync(HttpStatusCode.NotFound, "device.not-found");
    }

    [Fact]
    public async Task ARainstormWithoutExpires_StopsHolding_AfterTheLongestTimeInForce()
    {
        var (client, _) = await On.DrainageAsync("rain-forgotten", ("well-m", Huancui));
        var (bureau, sender) = await On.BureauAsync("371000");
        var warning = await PostAsync(bureau, On.Rainstorm(sender, $"{sender}_0", "Red", Geocode("371000")));
        // The client sees when it will stop holding: three days from when it was sent or received, whichever is later.
        var (sent, received) = (warning["sent"]!.GetValue<DateTimeOffset>(), warning["receivedAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal((sent > received ? sent : received).AddDays(3), warning["until"]!.GetValue<DateTimeOffset>());
        Hub.Time.Advance(TimeSpan.FromMinutes(2));
        await On.LevelsAsync(client, "well-m", 1.05);
        var alert = await AlertAsync(client, "well-m");
        Assert.Equal("rainstorm", (await HistoryAsync(client, alert)).Last()["context"]!["warning"]!.GetValue<string>());

        // The bureau never lifts it: three days (Warnings:MaxInForce) after it was sent it no longer holds.
        Hub.Time.Leap(TimeSpan.FromDays(3));
        await Hub.Services.GetRequiredService<AlertEngine>().SweepAsync(TestContext.Current.CancellationToken);
        using var admin = await Hub.AdminAsync();
        Assert.False((await admin.GetJsonAsync($"/v1/warnings/{warning["id"]}"))["active"]!.GetValue<bool>());
        var ended = (await HistoryAsync(admin, alert)).Last(s => s["kind"]!.GetValue<string>() == "context");
        Assert.Null(ended["context"]);
    }

    [Fact]
    public async Task AnotherAgency_CannotPostAsTheSender_NorContinueOrCancelItsWarning()
    {
        var (client, organization) = await On.DrainageAsync("rain-foreign", ("well-f", Zhangdian));
        var (bureau, sender) = await On.BureauAsync("370300");
        var (intruder, own) = await On.BureauAsync("370300");
        var sent = Time(Hub.Time.GetUtcNow());
        var first = $"{sender},37030041600000_20261207170000_0,{sent}";
        var warning = await PostAsync(bureau, On.Rainstorm(sender, "37030041600000_20261207170000_0", "Red", Geocode("370300")));

        // Another agency of the same city, with warnings:write, posing as the bureau's sender to cancel its warning ...
        using (var posing = await SendAsync(intruder, On.Rainstorm(sender, "37030041600000_20261207170000_1", "Red", Geocode("370300"), "Cancel", first)))
        {
            await posing.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "warning.sender-foreign");
        }
        // ... or downgrading it under its own sender by referencing it.
        using (var continuing = await SendAsync(intruder, On.Rainstorm(own, $"{own}_1", "Blue", Geocode("370300"), "Update", first)))
        {
            await continuing.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "warning.reference-foreign");
        }

        // Both refusals are kept with their reasons (DESIGN §7.2), in the intruder's quarantine.
        var kept = await Hub.QueryAsync(db => db.Quarantine.AsNoTracking()
            .Where(q => (q.MessageId == "37030041600000_20261207170000_1" && q.Payload!.Contains(sender)) || q.MessageId == $"{own}_1")
            .OrderBy(q => q.Id).Select(q => q.Errors).ToListAsync());
        Assert.Collection(kept, e => Assert.Contains("warning.sender-foreign", e, StringComparison.Ordinal), e => Assert.Contains("warning.reference-foreign", e, StringComparison.Ordinal));

        // The bureau's warning holds, and still shifts the well's levels.
        Assert.True((await client.GetJsonAsync($"/v1/warnings/{warning["id"]}"))["active"]!.GetValue<bool>());
        var context = await client.GetJsonAsync($"/v1/organizations/{organization}/devices/well-f/context");
        var rule = context["rules"]!.AsArray().Single(r => r!["ruleId"]!.GetValue<string>() == "water-level")!;
        Assert.Equal(warning["id"]!.GetValue<long>(), rule["context"]!["warningId"]!.GetValue<long>());
    }

    [Fact]
    public async Task AnAgency_WarnsForItsOwnArea_Only()
    {
        var (district, sender) = await On.BureauAsync("370402", "district");
        var (city, citySender) = await On.BureauAsync("370400");

        // A district's agency: not for another district, not for the whole city, not by a circle that names no district.
        foreach (var (id, area) in new[] { ("a", Geocode("370403")), ("b", Geocode("370400")), ("c", "<circle>34.86,117.55 3</circle>"), ("d", Geocode("370402,370403")) })
        {
            using var refused = await SendAsync(district, On.Rainstorm(sender, $"{sender}_{id}", "Red", area));
            await refused.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "warning.area-outside");
        }
        await PostAsync(district, On.Rainstorm(sender, $"{sender}_e", "Red", Geocode("370402")));
        await PostAsync(district, On.Rainstorm(sender, $"{sender}_f", "Red", "<circle>34.86,117.55 3</circle>" + Geocode("370402")));

        // The city's agency: its city and any district of it, not the next city.
        await PostAsync(city, On.Rainstorm(citySender, $"{citySender}_a", "Red", Geocode("370400")));
        await PostAsync(city, On.Rainstorm(citySender, $"{citySender}_b", "Red", Geocode("370403")));
        using var outside = await SendAsync(city, On.Rainstorm(citySender, $"{citySender}_c", "Red", Geocode("370500")));
        await outside.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "warning.area-outside");
    }

    [Fact]
    public async Task ALateReading_IsJudgedAgainstTheWarningsThatHeldAtItsOwnTime()
    {
        var (client, _) = await On.DrainageAsync("rain-late", ("made-before", Dongying), ("made-during", Dongying));
        var (bureau, sender) = await On.BureauAsync("370500");
        var start = Hub.Time.GetUtcNow();
        var first = $"{sender},37050041600000_20261207180000_0,{Time(start)}";
        await PostAsync(bureau, On.Rainstorm(sender, "37050041600000_20261207180000_0", "Red", Geocode("370500")));
        Hub.Time.Advance(TimeSpan.FromMinutes(10));

        // 72 % of the well, read five minutes before the warning and uploaded now: the well's own levels judge it.
        await On.ReadingsAsync(client, "made-before", start.AddMinutes(-5), 1.45);
        Assert.Equal("yellow", (await AlertAsync(client, "made-before"))["level"]!.GetValue<string>());

        // The bureau cancels; a reading made while the warning held, uploaded after, is judged by the rainstorm's levels,
        // and its alert then says that the warning no longer holds.
        await PostAsync(bureau, On.Rainstorm(sender, "37050041600000_20261207180000_1", "Red", Geocode("370500"), "Cancel", first));
        Hub.Time.Advance(TimeSpan.FromMinutes(5));
        await On.ReadingsAsync(client, "made-during", start.AddMinutes(5), 1.45);
        var alert = await AlertAsync(client, "made-during");
        Assert.Equal("orange", alert["level"]!.GetValue<string>());
        var steps = await HistoryAsync(client, alert);
        Assert.Equal(("raised", "rainstorm"), (steps[0]["kind"]!.GetValue<string>(), steps[0]["context"]!["warning"]!.GetValue<string>()));
        Assert.Equal("context", steps[^1]["kind"]!.GetValue<string>());
        Assert.Null(steps[^1]["context"]);
    }

    [Fact]
    public async Task RuleMemories_CarryContextState_OnlyForTheRulesThatTakeAContext()
    {
        // Every pass writes back the memory of each rule it judged: the context state belongs to the few rules that take
        // a context, not to every rule of every device.
        var (client, organization) = await On.DrainageAsync("rain-memory", ("memory-1", Lixia));
        await On.LevelsAsync(client, "memory-1", 0.5);

        var memories = await Hub.QueryAsync(db => db.RuleStates
            .Where(s => db.Devices.Any(d => d.Key == s.DeviceKey && d.OrganizationId == organization && d.DeviceId == "memory-1"))
            .ToDictionaryAsync(s => s.RuleId, s => s.Memory));
        Assert.Contains("\"contextAt\"", memories["water-level"], StringComparison.Ordinal);
        Assert.DoesNotContain("context", memories["offline"], StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>
/// A hub that was down while a warning stopped holding records the end on the alerts it affected when it starts: its
/// engine compares each open alert's rule memory with the contexts in force, not with a memory of its own it no longer has.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class WarningContextRestartTests
{
    [Fact]
    public async Task AWarningThatExpiredWhileTheHubWasDown_IsRecordedAsEnded_WhenItStarts()
    {
        string dataDirectory;
        long alertId;
        DateTimeOffset expired;
        await using (var first = new HubFactory())
        {
            first.StartServer();
            dataDirectory = first.DataDirectory;
            var on = new ContextHub(first);
            var (client, _) = await on.DrainageAsync("rain-restart", ("well-r", new Well("370212", 120.47, 36.10)));
            var (bureau, sender) = await on.BureauAsync();
            await on.LevelsAsync(client, "well-r", 1.05);
            await PostAsync(bureau, on.Rainstorm(sender, $"{sender}_0", "Red", Geocode("370200"), expiresIn: TimeSpan.FromMinutes(30)));
            expired = first.Time.GetUtcNow().AddMinutes(31);
            await on.CaughtUpAsync();
            var alert = await AlertAsync(client, "well-r");
            Assert.Equal("rainstorm", (await HistoryAsync(client, alert)).Last()["context"]!["warning"]!.GetValue<string>());
            alertId = alert["id"]!.GetValue<long>();
        }

        // The hub starts again after the warning expired.
        await using var second = new HubFactory(dataDirectory, []);
        second.Time.Advance(expired - second.Time.GetUtcNow());
        second.StartServer();
        await second.Services.GetRequiredService<AlertEngine>().ProcessAsync(TestContext.Current.CancellationToken);

        var steps = await second.QueryAsync(db => db.AlertEvents.Where(e => e.AlertId == alertId).OrderBy(e => e.Id).Select(e => new { e.Kind, e.Context }).ToListAsync());
        Assert.Equal(("context", (string?)null), (steps[^1].Kind, steps[^1].Context));
        Assert.Equal(2, steps.Count(s => s.Kind == "context"));
    }
}

/// <summary>Steps of the context tests on a hub: wells of a drainage company, agencies that post warnings, and readings.</summary>
internal sealed class ContextHub(HubFactory hub)
{
    public const string Profile = "drainage.manhole-level-gas";

    private HubFactory Hub => hub;

    /// <summary>A drainage company with wells 2 m deep, in production: levels at 1.0 / 1.4 / 1.7 / 2.0 m, or 0.6 / 1.0 / 1.4 / 1.7 m under a rainstorm of orange or red.</summary>
    public async Task<(HttpClient Client, string Organization)> DrainageAsync(string prefix, params (string Id, Well Well)[] wells)
    {
        var organization = HubFixture.Unique(prefix);
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(organization);
        var (id, secret) = await admin.CreateAdapterAsync(organization, organization + "-adapter", scopes: AlertClient.Managing);
        await (await admin.PutAsJsonAsync($"/v1/adapters/{id}/status", new { status = "production" })).ShouldBeAsync(HttpStatusCode.OK);
        foreach (var (deviceId, well) in wells)
        {
            using var registered = await admin.PostAsJsonAsync($"/v1/adapters/{id}/devices",
                new { deviceId, profile = Profile, district = well.District, location = new { lon = well.Lon, lat = well.Lat }, parameters = new { wellDepth = 2.0 } });
            await registered.ShouldBeAsync(HttpStatusCode.Created);
        }
        return (Hub.As(await Hub.TokenAsync(id, secret)), organization);
    }

    /// <summary>
    /// A meteorological bureau's client, in production, and its sender name, unique to the test: the city's (its area the
    /// hub's, Qingdao) unless <paramref name="area"/> gives the organization's GB/T 2260 area.
    /// </summary>
    public async Task<(HttpClient Client, string Sender)> BureauAsync(string? area = null, string kind = "department")
    {
        var organization = HubFixture.Unique("met");
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(organization, kind, area);
        var (id, secret) = await admin.CreateAdapterAsync(organization, organization + "-cap", scopes: ["warnings:write", "alerts:read"]);
        await (await admin.PutAsJsonAsync($"/v1/adapters/{id}/status", new { status = "production" })).ShouldBeAsync(HttpStatusCode.OK);
        return (Hub.As(await Hub.TokenAsync(id, secret)), HubFixture.Unique("qdmet"));
    }

    /// <summary>Water levels a minute apart, the last one a minute before the hub's clock; waits until the engine has judged them.</summary>
    public Task LevelsAsync(HttpClient client, string deviceId, params double[] metres) => ReadingsAsync(client, deviceId, Hub.Time.GetUtcNow().AddMinutes(-1), metres);

    /// <summary>Water levels a minute apart, the last one at <paramref name="end"/>; waits until the engine has judged them.</summary>
    public async Task ReadingsAsync(HttpClient client, string deviceId, DateTimeOffset end, params double[] metres)
    {
        var messages = metres.Select((m, i) => new JsonObject
        {
            ["messageId"] = $"{deviceId}-{Guid.NewGuid():N}",
            ["deviceId"] = deviceId,
            ["profile"] = Profile,
            ["time"] = end.AddMinutes(i - metres.Length + 1).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
            ["observations"] = new JsonArray(new JsonObject { ["metric"] = "water_level", ["value"] = m, ["unit"] = "m" }),
        }).ToArray();
        using var response = await client.PostBatchAsync(messages);
        Assert.Equal(metres.Length, (await response.ShouldBeAsync(HttpStatusCode.OK))["accepted"]!.GetValue<int>());
        await CaughtUpAsync();
    }

    /// <summary>
    /// Waits until the engine has judged every committed message and taken in the warnings posted so far: a pass of its
    /// own records a change of context even when no telemetry arrived since.
    /// </summary>
    public async Task CaughtUpAsync()
    {
        var engine = Hub.Services.GetRequiredService<AlertEngine>();
        await engine.ProcessAsync(TestContext.Current.CancellationToken);
        await engine.CaughtUpAsync(TestContext.Current.CancellationToken);
    }

    public static string Time(DateTimeOffset at) => at.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>A national-profile rainstorm document: <paramref name="area"/> is the inside of one CAP <c>area</c> after its areaDesc.</summary>
    public string Rainstorm(string sender, string identifier, string colour, string area, string msgType = "Alert", string? references = null, TimeSpan? expiresIn = null, string @event = "暴雨")
    {
        var now = Hub.Time.GetUtcNow();
        var expires = expiresIn is { } span ? $"<expires>{Time(now + span)}</expires>" : "";
        var referenced = references is null ? "" : $"<references>{references}</references>";
        return $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
              <identifier>{identifier}</identifier>
              <sender>{sender}</sender>
              <sent>{Time(now)}</sent>
              <status>Actual</status>
              <msgType>{msgType}</msgType>
              <scope>Public</scope>
              {referenced}
              <info>
                <language>zh-CN</language>
                <category>Met</category>
                <event>{@event}</event>
                <urgency>Unknown</urgency>
                <severity>{colour}</severity>
                <certainty>Likely</certainty>
                <eventCode><valueName>eventType</valueName><value>11B03</value></eventCode>
                {expires}
                <headline>{sender}发布{@event}预警</headline>
                <area>
                  <areaDesc>青岛市</areaDesc>
                  {area}
                </area>
              </info>
            </alert>
            """;
    }

    public static string Geocode(string codes) => $"<geocode><valueName>GB/T 2260</valueName><value>{codes}</value></geocode>";

    public static async Task<JsonNode> PostAsync(HttpClient agency, string xml)
    {
        using var response = await SendAsync(agency, xml);
        return await response.ShouldBeAsync(HttpStatusCode.Created);
    }

    public static Task<HttpResponseMessage> SendAsync(HttpClient agency, string xml) =>
        agency.PostAsync(new Uri("/v1/warnings", UriKind.Relative), new StringContent(xml, Encoding.UTF8, "application/cap+xml"));

    public static async Task<JsonNode> AlertAsync(HttpClient client, string deviceId) => Assert.Single(await client.AlertsAsync(deviceId, "water-level"));

    public static async Task<List<JsonNode>> HistoryAsync(HttpClient client, JsonNode alert) =>
        [.. (await client.GetJsonAsync($"/v1/alerts/{alert["id"]}"))["history"]!.AsArray().Select(s => s!)];
}

/// <summary>A well's district and registered location.</summary>
internal sealed record Well(string District, double Lon, double Lat);
