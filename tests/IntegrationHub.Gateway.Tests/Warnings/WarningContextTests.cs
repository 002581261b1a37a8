using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Tests.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.Warnings;

/// <summary>
/// Agencies' warnings as context for rules (rules.md §5b, RULE-015), on a running hub: a rainstorm warning posted to
/// /v1/warnings shifts the levels of the drainage wells it covers while it holds, the change is recorded on their open
/// alerts, and a Cancel, an Update or the warning's expiry ends it. Coverage by GB/T 2260 geocode, polygon and circle.
/// </summary>
public sealed class WarningContextTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private const string Profile = "drainage.manhole-level-gas";

    // Wells in districts of four cities, so that the tests' warnings, which share the hub, never cover each other's wells.
    private static readonly Well Laoshan = new("370212", 120.47, 36.10);
    private static readonly Well Shinan = new("370202", 120.38, 36.07);
    private static readonly Well Zhifu = new("370602", 121.40, 37.54);
    private static readonly Well Kuiwen = new("370705", 119.14, 36.71);
    private static readonly Well Lixia = new("370102", 117.08, 36.67);

    private HubFactory Hub => fixture.Hub;

    private sealed record Well(string District, double Lon, double Lat);

    /// <summary>A drainage company with wells 2 m deep, in production: levels at 1.0 / 1.4 / 1.7 / 2.0 m, or 0.6 / 1.0 / 1.4 / 1.7 m under a rainstorm of orange or red.</summary>
    private async Task<(HttpClient Client, string Organization)> DrainageAsync(string prefix, params (string Id, Well Well)[] wells)
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

    /// <summary>A meteorological bureau's client, in production, and its sender name, unique to the test.</summary>
    private async Task<(HttpClient Client, string Sender)> BureauAsync()
    {
        var organization = HubFixture.Unique("met");
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(organization, "department");
        var (id, secret) = await admin.CreateAdapterAsync(organization, organization + "-cap", scopes: ["warnings:write", "alerts:read"]);
        await (await admin.PutAsJsonAsync($"/v1/adapters/{id}/status", new { status = "production" })).ShouldBeAsync(HttpStatusCode.OK);
        return (Hub.As(await Hub.TokenAsync(id, secret)), HubFixture.Unique("qdmet"));
    }

    /// <summary>Water levels a minute apart, the last one a minute before the hub's clock; waits until the engine has judged them.</summary>
    private async Task LevelsAsync(HttpClient client, string deviceId, params double[] metres)
    {
        var end = Hub.Time.GetUtcNow().AddMinutes(-1);
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
    private async Task CaughtUpAsync()
    {
        var engine = Hub.Services.GetRequiredService<AlertEngine>();
        await engine.ProcessAsync(TestContext.Current.CancellationToken);
        await engine.CaughtUpAsync(TestContext.Current.CancellationToken);
    }

    private static string Time(DateTimeOffset at) => at.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>A national-profile rainstorm document: <paramref name="area"/> is the inside of one CAP <c>area</c> after its areaDesc.</summary>
    private string Rainstorm(string sender, string identifier, string colour, string area, string msgType = "Alert", string? references = null, TimeSpan? expiresIn = null, string @event = "暴雨")
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

    private static string Geocode(string codes) => $"<geocode><valueName>GB/T 2260</valueName><value>{codes}</value></geocode>";

    private static async Task<JsonNode> PostAsync(HttpClient agency, string xml)
    {
        using var response = await agency.PostAsync(new Uri("/v1/warnings", UriKind.Relative), new StringContent(xml, Encoding.UTF8, "application/cap+xml"));
        return await response.ShouldBeAsync(HttpStatusCode.Created);
    }

    private static async Task<JsonNode> AlertAsync(HttpClient client, string deviceId) => Assert.Single(await client.AlertsAsync(deviceId, "water-level"));

    private static async Task<List<JsonNode>> HistoryAsync(HttpClient client, JsonNode alert) =>
        [.. (await client.GetJsonAsync($"/v1/alerts/{alert["id"]}"))["history"]!.AsArray().Select(s => s!)];

    [Fact]
    public async Task Rainstorm_ShiftsTheWellsLevels_WhileInForce_RecordedOnTheAlert_UntilCancelled()
    {
        var (client, _) = await DrainageAsync("rain-cancel", ("well-1", Zhifu));
        var (bureau, sender) = await BureauAsync();
        await LevelsAsync(client, "well-1", 1.05);
        Assert.Equal("blue", (await AlertAsync(client, "well-1"))["level"]!.GetValue<string>());

        // A red rainstorm for the whole city (Yantai, 370600, contains Zhifu, 370602): the open alert records it at once.
        var sent = Time(Hub.Time.GetUtcNow());
        var warning = await PostAsync(bureau, Rainstorm(sender, "37060041600000_20261207120000_0", "Red", Geocode("370600")));
        await CaughtUpAsync();
        var started = (await HistoryAsync(client, await AlertAsync(client, "well-1"))).Last();
        Assert.Equal(("context", "blue"), (started["kind"]!.GetValue<string>(), started["level"]!.GetValue<string>()));
        Assert.Equal(("rainstorm", "orange", "red", warning["id"]!.GetValue<long>(), "暴雨"),
            (started["context"]!["warning"]!.GetValue<string>(), started["context"]!["atLeast"]!.GetValue<string>(), started["context"]!["level"]!.GetValue<string>(),
             started["context"]!["warningId"]!.GetValue<long>(), started["context"]!["event"]!.GetValue<string>()));

        // 72 % of the well: yellow by the rule's own levels, orange by the rainstorm's; the step says which levels judged it.
        Hub.Time.Advance(TimeSpan.FromMinutes(5));
        await LevelsAsync(client, "well-1", 1.45);
        var alert = await AlertAsync(client, "well-1");
        Assert.Equal("orange", alert["level"]!.GetValue<string>());
        var escalated = (await HistoryAsync(client, alert)).Last();
        Assert.Equal("escalated", escalated["kind"]!.GetValue<string>());
        Assert.Equal("rainstorm", escalated["context"]!["warning"]!.GetValue<string>());
        Assert.Equal(1.4, escalated["causes"]!.AsArray().Single(c => c!["level"]!.GetValue<string>() == "orange")!["threshold"]!.GetValue<double>(), 6);

        // The bureau cancels: the alert records the end, and the next readings are judged by the rule's own levels
        // again; the level falls only after the hold, as any de-escalation (yellow: 1.45 m is above 1.4 m).
        Hub.Time.Advance(TimeSpan.FromMinutes(5));
        await PostAsync(bureau, Rainstorm(sender, "37060041600000_20261207130000_1", "Red", Geocode("370600"), "Cancel", $"{sender},37060041600000_20261207120000_0,{sent}"));
        await CaughtUpAsync();
        var ended = (await HistoryAsync(client, await AlertAsync(client, "well-1"))).Last();
        Assert.Equal(("context", "orange"), (ended["kind"]!.GetValue<string>(), ended["level"]!.GetValue<string>()));
        Assert.Null(ended["context"]);
        Hub.Time.Advance(TimeSpan.FromMinutes(1));
        await LevelsAsync(client, "well-1", 1.45);
        Assert.Equal("orange", (await AlertAsync(client, "well-1"))["level"]!.GetValue<string>());
        Hub.Time.Advance(TimeSpan.FromMinutes(31));
        await LevelsAsync(client, "well-1", 1.45);
        alert = await AlertAsync(client, "well-1");
        Assert.Equal("yellow", alert["level"]!.GetValue<string>());
        Assert.Null((await HistoryAsync(client, alert)).Last()["context"]);
    }

    [Fact]
    public async Task Rainstorm_EndsWhenItExpires_AndAnOrangeOneStillShifts_AYellowOneDoesNot()
    {
        var (client, _) = await DrainageAsync("rain-expiry", ("well-2", Kuiwen), ("well-3", Kuiwen));
        var (bureau, sender) = await BureauAsync();

        // A yellow rainstorm is below the entry's orange: the well keeps its own levels.
        await PostAsync(bureau, Rainstorm(sender, "37070041600000_20261207140000_0", "Yellow", Geocode("370705")));
        await LevelsAsync(client, "well-3", 1.45);
        Assert.Equal("yellow", (await AlertAsync(client, "well-3"))["level"]!.GetValue<string>());

        // An orange one that expires in half an hour shifts them until then.
        await PostAsync(bureau, Rainstorm(sender, "37070041600000_20261207140000_1", "Orange", Geocode("370705"), expiresIn: TimeSpan.FromMinutes(30)));
        await LevelsAsync(client, "well-2", 1.05);
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
        var (client, _) = await DrainageAsync("rain-area",
            ("laoshan-geo", Laoshan), ("shinan-geo", Shinan),
            ("in-polygon", new Well("370203", 120.40, 36.12)), ("out-polygon", new Well("370203", 120.45, 36.12)),
            ("in-circle", new Well("370211", 120.20, 35.96)), ("out-circle", new Well("370211", 120.30, 35.96)));
        var (bureau, sender) = await BureauAsync();

        // By district code: 370212 covers Laoshan's well, not Shinan's.
        await PostAsync(bureau, Rainstorm(sender, "37020041600000_20261207150000_0", "Red", Geocode("370212")));
        // By polygon (lat,lon pairs) around 120.38–120.42 E, 36.10–36.14 N; its geocode (the whole city) does not widen it.
        await PostAsync(bureau, Rainstorm(sender, "37020041600000_20261207150000_1", "Orange",
            "<polygon>36.10,120.38 36.10,120.42 36.14,120.42 36.14,120.38 36.10,120.38</polygon>" + Geocode("370200")));
        // By circle: 3 km around 35.96 N 120.20 E (the other well is about 9 km east).
        await PostAsync(bureau, Rainstorm(sender, "37020041600000_20261207150000_2", "Red", "<circle>35.96,120.20 3</circle>"));

        foreach (var well in new[] { "laoshan-geo", "shinan-geo", "in-polygon", "out-polygon", "in-circle", "out-circle" })
        {
            await LevelsAsync(client, well, 1.45);
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
        var (client, organization) = await DrainageAsync("rain-context", ("well-9", Lixia));
        var (other, _) = await DrainageAsync("rain-other", ("well-9", Shinan));
        var (bureau, sender) = await BureauAsync();
        var warning = await PostAsync(bureau, Rainstorm(sender, "37010041600000_20261207160000_0", "Red", Geocode("370102")));

        var context = await client.GetJsonAsync($"/v1/organizations/{organization}/devices/well-9/context");
        Assert.Contains(context["warnings"]!.AsArray(), w => w!["id"]!.GetValue<long>() == warning["id"]!.GetValue<long>());
        var rule = context["rules"]!.AsArray().Single(r => r!["ruleId"]!.GetValue<string>() == "water-level")!;
        Assert.Equal(("rainstorm", warning["id"]!.GetValue<long>()), (rule["context"]!["warning"]!.GetValue<string>(), rule["context"]!["warningId"]!.GetValue<long>()));
        Assert.Equal(1.4, rule["levels"]!["orange"]!.GetValue<double>(), 6);

        // Another enterprise, even with a device of the same id, does not read this one's context.
        using var refused = await other.GetAsync(new Uri($"/v1/organizations/{organization}/devices/well-9/context", UriKind.Relative));
        await refused.ShouldBeProblemAsync(HttpStatusCode.NotFound, "device.not-found");
    }
}
