using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using System.Xml.Schema;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Alerts;

/// <summary>Telemetry in, alerts out, through the closed loop and CAP, over HTTP against the running hub.</summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class AlertFlowTests() : OwnHub(AlertSettings.WithoutDeadlines(new() { ["Auth:AccessTokenLifetime"] = "1.00:00:00" }))
{
    private AlertEngine Engine => Hub.Services.GetRequiredService<AlertEngine>();

    private static async Task<JsonNode> SingleAlertAsync(HttpClient client, string deviceId, string rule = "ch4-level") =>
        Assert.Single(await client.AlertsAsync(deviceId, rule));

    [Fact]
    public async Task Methane_RaisesEscalatesAndRunsTheClosedLoop()
    {
        using var owner = await Hub.ManagerAsync("gasco", "ch4-1");
        using var handler = await Hub.ManagerAsync("firebrigade", "");
        using var stranger = await Hub.ManagerAsync("stranger", "");
        using var admin = await Hub.AdminAsync();

        await Hub.SendMethaneAsync(owner, "ch4-1", 5, 30, 30);
        var raised = await SingleAlertAsync(owner, "ch4-1");
        Assert.Equal(("orange", "raised"), (raised["level"]!.GetValue<string>(), raised["state"]!.GetValue<string>()));

        await Hub.SendMethaneAsync(owner, "ch4-1", 5, 55);
        var alert = await SingleAlertAsync(owner, "ch4-1");
        Assert.Equal(raised["id"]!.GetValue<long>(), alert["id"]!.GetValue<long>());
        Assert.Equal("red", alert["level"]!.GetValue<string>());
        var id = alert["id"]!.GetValue<long>();

        using (var peek = await stranger.GetAsync(new Uri($"/v1/alerts/{id}", UriKind.Relative)))
        {
            await peek.ShouldBeProblemAsync(HttpStatusCode.NotFound, "alert.not-found");
        }
        using (var meddle = await stranger.PostAsJsonAsync($"/v1/alerts/{id}/acknowledge", new { note = "not mine" }))
        {
            await meddle.ShouldBeProblemAsync(HttpStatusCode.NotFound, "alert.not-found");
        }
        using (var early = await owner.PostAsJsonAsync($"/v1/alerts/{id}/close", new { note = "too soon" }))
        {
            await early.ShouldBeProblemAsync(HttpStatusCode.Conflict, "alert.invalid-transition");
        }

        (await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/acknowledge", new { note = "on it" })).ShouldBeAsync(HttpStatusCode.OK)).AsObject();
        await (await admin.PostAsJsonAsync($"/v1/alerts/{id}/dispatch", new { organizationId = "firebrigade", note = "send a crew" })).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("dispatched", (await handler.GetJsonAsync($"/v1/alerts/{id}"))["alert"]!["state"]!.GetValue<string>());
        using (var noFeedback = await handler.PostAsJsonAsync($"/v1/alerts/{id}/resolve", new { }))
        {
            await noFeedback.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.validation-failed");
        }
        await (await handler.PostAsJsonAsync($"/v1/alerts/{id}/resolve", new { note = "valve closed, well ventilated" })).ShouldBeAsync(HttpStatusCode.OK);
        // Still at 55 %LEL: the close is confirmed with a note (AlertCloseTests has the rest of that story).
        await (await owner.PostAsJsonAsync($"/v1/alerts/{id}/close", new { note = "archived", confirm = true })).ShouldBeAsync(HttpStatusCode.OK);

        var detail = await owner.GetJsonAsync($"/v1/alerts/{id}");
        Assert.Equal(["raised", "escalated", "acknowledged", "dispatched", "resolved", "closed"],
            detail["history"]!.AsArray().Select(s => s!["kind"]!.GetValue<string>()));
        Assert.Equal("firebrigade-adapter", detail["history"]![4]!["actor"]!.GetValue<string>());
        Assert.Equal("valve closed, well ventilated", detail["history"]![4]!["note"]!.GetValue<string>());
        Assert.Equal([30.0, 55.0], detail["observations"]!.AsArray().Select(o => o!["value"]!.GetValue<double>()));
        Assert.Equal("closed", detail["alert"]!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Statistics_CountRaisedAlerts_ByBucketDistrictAndHighestLevel_OverWhatTheCallerMaySee()
    {
        // Half past an hour: the orange alert's observation (its second reading, once the level has held) and the red
        // one's (its first) then lie in hours exactly two apart, wherever in the hour the test happens to start.
        var intoTheHour = TimeSpan.FromTicks(Hub.Time.GetUtcNow().UtcTicks % TimeSpan.TicksPerHour);
        Hub.Time.Advance(TimeSpan.FromTicks((TimeSpan.FromMinutes(90) - intoTheHour).Ticks % TimeSpan.TicksPerHour));
        using var owner = await Hub.ManagerAsync("statsco", "st-1");
        using var stranger = await Hub.ManagerAsync("statsstranger", "");
        using (var admin = await Hub.AdminAsync())
        {
            await admin.RegisterDeviceAsync("statsco-adapter", "st-2", district: "370212");
        }
        var first = Hub.Time.GetUtcNow();
        await Hub.SendMethaneAsync(owner, "st-1", 5, 30, 30);
        Hub.Time.Advance(TimeSpan.FromHours(2));
        await Hub.SendMethaneAsync(owner, "st-2", 5, 55, 55);
        var range = $"from={Uri.EscapeDataString(first.AddHours(-1).ToString("O"))}&to={Uri.EscapeDataString(Hub.Time.GetUtcNow().AddMinutes(1).ToString("O"))}";

        var hourly = await owner.GetJsonAsync($"/v1/alerts/statistics?bucket=hour&{range}");
        var rows = hourly["items"]!.AsArray().Select(r => (District: r!["district"]!.GetValue<string>(), Level: r["level"]!.GetValue<string>(),
            Raised: r["raised"]!.GetValue<int>(), Start: DateTimeOffset.Parse(r["start"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture))).ToList();
        // Each device's methane alert (a rule of another kind may raise its own blue one beside it), in buckets two hours apart.
        var orange = Assert.Single(rows, r => r.Level == "orange");
        var red = Assert.Single(rows, r => r.Level == "red");
        Assert.Equal(("370202", 1, "370212", 1), (orange.District, orange.Raised, red.District, red.Raised));
        Assert.Equal(TimeSpan.FromHours(2), red.Start - orange.Start);
        Assert.All(rows, r => Assert.Equal((0, 0), (r.Start.Minute, r.Start.Second)));
        Assert.All(rows, r => Assert.Contains(r.District, new[] { "370202", "370212" }));

        var daily = await owner.GetJsonAsync($"/v1/alerts/statistics?bucket=day&offsetMinutes=480&district=370212&{range}");
        Assert.All(daily["items"]!.AsArray(), r => Assert.Equal("370212", r!["district"]!.GetValue<string>()));
        var day = Assert.Single(daily["items"]!.AsArray(), r => r!["level"]!.GetValue<string>() == "red")!;
        Assert.Equal(1, day["raised"]!.GetValue<int>());
        Assert.EndsWith("T00:00:00+08:00", day["start"]!.GetValue<string>(), StringComparison.Ordinal);

        Assert.Empty((await stranger.GetJsonAsync($"/v1/alerts/statistics?{range}"))["items"]!.AsArray());
        foreach (var (query, pointer) in new[] { ("bucket=week", "/bucket"), ("offsetMinutes=900", "/offsetMinutes"), ("from=2026-01-10T00:00:00Z&to=2026-01-01T00:00:00Z", "/from"), ("bucket=hour&from=2026-01-01T00:00:00Z&to=2026-01-20T00:00:00Z", "/from") })
        {
            var problem = await (await owner.GetAsync(new Uri($"/v1/alerts/statistics?{query}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.invalid-parameter");
            Assert.Equal(pointer, problem["errors"]![0]!["pointer"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Clearing_ThenRecurrence_ReopensTheSameAlert()
    {
        using var owner = await Hub.ManagerAsync("reopen", "ch4-1");

        await Hub.SendMethaneAsync(owner, "ch4-1", 10, 6, 6, 1, 1, 1, 1, 1);
        var cleared = await SingleAlertAsync(owner, "ch4-1");
        Assert.Equal(("raised", true), (cleared["state"]!.GetValue<string>(), cleared["cleared"]!.GetValue<bool>()));

        Hub.Time.Advance(TimeSpan.FromMinutes(10));
        await Hub.SendMethaneAsync(owner, "ch4-1", 1, 7, 7);
        var reopened = await SingleAlertAsync(owner, "ch4-1");

        Assert.Equal(cleared["id"]!.GetValue<long>(), reopened["id"]!.GetValue<long>());
        Assert.Equal(("raised", false), (reopened["state"]!.GetValue<string>(), reopened["cleared"]!.GetValue<bool>()));
        var history = (await owner.GetJsonAsync($"/v1/alerts/{reopened["id"]}"))["history"]!.AsArray().Select(s => s!["kind"]!.GetValue<string>());
        Assert.Equal(["raised", "cleared", "reopened"], history);
    }

    [Fact]
    public async Task Flapping_MakesOneAlert()
    {
        using var owner = await Hub.ManagerAsync("flapping", "ch4-1");

        await Hub.SendMethaneAsync(owner, "ch4-1", 1, [.. Enumerable.Range(0, 60).Select(i => i % 3 == 2 ? 2.0 : 6.0)]);

        var alert = await SingleAlertAsync(owner, "ch4-1");
        Assert.Single((await owner.GetJsonAsync($"/v1/alerts/{alert["id"]}"))["history"]!.AsArray());
    }

    [Fact]
    public async Task SilentDevice_RaisesOffline_AndKeepsItsValueAlarmOpen()
    {
        using var owner = await Hub.ManagerAsync("silent", "ch4-1");
        await Hub.SendMethaneAsync(owner, "ch4-1", 5, 6, 6);

        Hub.Time.Advance(TimeSpan.FromMinutes(46));
        await Engine.SweepAsync(TestContext.Current.CancellationToken);
        Hub.Time.Advance(TimeSpan.FromHours(2));
        await Engine.SweepAsync(TestContext.Current.CancellationToken);

        var offline = await SingleAlertAsync(owner, "ch4-1", "offline");
        Assert.Equal(("blue", "raised"), (offline["level"]!.GetValue<string>(), offline["state"]!.GetValue<string>()));
        Assert.Equal("raised", (await SingleAlertAsync(owner, "ch4-1"))["state"]!.GetValue<string>());

        await Hub.SendMethaneAsync(owner, "ch4-1", 1, 6);
        Assert.True((await SingleAlertAsync(owner, "ch4-1", "offline"))["cleared"]!.GetValue<bool>());
    }

    [Fact]
    public async Task UnacknowledgedAlert_IsRenotifiedAtItsLevelsInterval()
    {
        using var owner = await Hub.ManagerAsync("renotify", "ch4-1");
        await Hub.SendMethaneAsync(owner, "ch4-1", 1, 60);
        var id = (await SingleAlertAsync(owner, "ch4-1"))["id"]!.GetValue<long>();

        Hub.Time.Advance(TimeSpan.FromMinutes(14));
        await Engine.SweepAsync(TestContext.Current.CancellationToken);
        await Hub.SendMethaneAsync(owner, "ch4-1", 1, 60);
        Hub.Time.Advance(TimeSpan.FromMinutes(2));
        await Engine.SweepAsync(TestContext.Current.CancellationToken);

        var history = (await owner.GetJsonAsync($"/v1/alerts/{id}"))["history"]!.AsArray().Select(s => s!["kind"]!.GetValue<string>());
        Assert.Equal(["raised", "renotified"], history);
    }

    [Fact]
    public async Task CapMessages_AlertUpdateCancel_AreValidCap12()
    {
        var xsd = Repository.Oracle("cap/cap12.xsd");
        if (xsd is null)
        {
            Assert.Skip($"{Repository.OraclesVariable} is not set, so the CAP 1.2 XSD (../shared/oracles/cap) is not available; .ci/run sets it.");
        }
        using var owner = await Hub.ManagerAsync("cap", "ch4-1");
        await Hub.SendMethaneAsync(owner, "ch4-1", 10, 30, 30, 55, 1, 1, 1, 1, 1, 1);
        var id = (await SingleAlertAsync(owner, "ch4-1"))["id"]!.GetValue<long>();
        var steps = (await owner.GetJsonAsync($"/v1/alerts/{id}"))["history"]!.AsArray().Where(s => s!["capIdentifier"] is not null).ToList();
        Assert.Equal(["raised", "escalated", "cleared"], steps.Select(s => s!["kind"]!.GetValue<string>()));

        var schemas = new XmlSchemaSet();
        schemas.Add(CapNamespace, xsd);
        var types = new List<string>();
        foreach (var step in steps)
        {
            var xml = await owner.GetStringAsync(new Uri($"/v1/alerts/{id}/cap?identifier={step!["capIdentifier"]}", UriKind.Relative));
            var document = XDocument.Parse(xml);
            var errors = new List<string>();
            document.Validate(schemas, (_, e) => errors.Add(e.Message));
            Assert.Empty(errors);
            XNamespace cap = CapNamespace;
            types.Add(document.Root!.Element(cap + "msgType")!.Value);
            Assert.Matches("^[0-9]{14}_[0-9]{14}_[0-9]$", document.Root.Element(cap + "identifier")!.Value);
            Assert.EndsWith("+08:00", document.Root.Element(cap + "sent")!.Value, StringComparison.Ordinal);
        }
        Assert.Equal("Alert", types[0]);
        Assert.Equal("Cancel", types[^1]);
        Assert.All(types.Skip(1).SkipLast(1), t => Assert.Equal("Update", t));

        using var jsonRequest = new HttpRequestMessage(HttpMethod.Get, $"/v1/alerts/{id}/cap");
        jsonRequest.Headers.Accept.ParseAdd("application/json");
        using var jsonResponse = await owner.SendAsync(jsonRequest);
        var projection = await jsonResponse.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("Cancel", projection["msgType"]!.GetValue<string>());
        Assert.Equal("warningLevel", projection["info"]![0]!["eventCode"]![0]!["valueName"]!.GetValue<string>());
        Assert.Equal("370202", projection["info"]![0]!["area"]![0]!["geocode"]![0]!["value"]!.GetValue<string>());

        var feed = XDocument.Parse(await owner.GetStringAsync(new Uri("/v1/alerts/feed", UriKind.Relative)));
        var entries = feed.Root!.Elements(XName.Get("entry", "http://www.w3.org/2005/Atom")).Select(e => e.Element(XName.Get("id", "http://www.w3.org/2005/Atom"))!.Value).ToList();
        Assert.All(steps, step => Assert.Contains(entries, e => e.EndsWith(":" + step!["capIdentifier"]!.GetValue<string>(), StringComparison.Ordinal)));
    }

    private const string CapNamespace = "urn:oasis:names:tc:emergency:cap:1.2";
}
