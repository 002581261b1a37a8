using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Tests.Certification;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.Alerts;

/// <summary>
/// A sandbox adapter's alert is a drill (ALR-004, DESIGN §7.5): CAP Test, seen by its own organization only, and never
/// on the operator's board, in the city's statistics, feed or streams, dispatched or escalated. Deadlines are short
/// here, so that a production alert beside it shows what the drill is spared.
/// </summary>
public sealed class SandboxAlertTests() : OwnHub(new()
{
    ["Auth:AccessTokenLifetime"] = "1.00:00:00",
    ["Alerts:SweepInterval"] = "01:00:00",
    ["Alerts:Deadlines:Red:Acknowledge"] = "00:05:00",
    ["Alerts:Deadlines:Red:Resolve"] = "00:15:00",
})
{
    private static readonly XNamespace Cap = "urn:oasis:names:tc:emergency:cap:1.2";

    private AlertEngine Engine => Hub.Services.GetRequiredService<AlertEngine>();

    private static async Task<string> CapStatusAsync(HttpClient client, long alertId) =>
        XDocument.Parse(await client.GetStringAsync(new Uri($"/v1/alerts/{alertId}/cap", UriKind.Relative))).Root!.Element(Cap + "status")!.Value;

    private static async Task<List<string>> FeedAsync(HttpClient client)
    {
        XNamespace atom = "http://www.w3.org/2005/Atom";
        var feed = XDocument.Parse(await client.GetStringAsync(new Uri("/v1/alerts/feed", UriKind.Relative)));
        return [.. feed.Root!.Elements(atom + "entry").Select(e => e.Element(atom + "link")!.Attribute("href")!.Value)];
    }

    [Fact]
    public async Task SandboxRedAlert_IsADrillOfItsOrganization_AndNeverReachesTheCity()
    {
        using var drill = await Hub.ManagerAsync("drill-gas", "ch4-drill", sandbox: true);
        using var city = await Hub.ManagerAsync("city-gas", "ch4-city");
        using var admin = await Hub.AdminAsync();
        var (board, _) = await SseReader.OpenAsync(admin, "/v1/stream?types=alert");
        await using var operatorStream = board!;

        // The same red reading from both: the sandbox device's first.
        await Hub.SendMethaneAsync(drill, "ch4-drill", 5, 80);
        await Hub.SendMethaneAsync(city, "ch4-city", 5, 80);
        var drillAlert = Assert.Single(await drill.AlertsAsync("ch4-drill"));
        var cityAlert = Assert.Single(await city.AlertsAsync("ch4-city"));
        var (drillId, cityId) = (drillAlert["id"]!.GetValue<long>(), cityAlert["id"]!.GetValue<long>());

        // The organization sees its drill, marked, with no deadline running; CAP says Test.
        Assert.Equal(("red", true), (drillAlert["level"]!.GetValue<string>(), drillAlert["sandbox"]!.GetValue<bool>()));
        Assert.Null(drillAlert["acknowledgeBy"]);
        Assert.Null(drillAlert["resolveBy"]);
        Assert.Equal("Test", await CapStatusAsync(drill, drillId));
        Assert.Equal((false, "Actual"), (cityAlert["sandbox"]!.GetValue<bool>(), await CapStatusAsync(city, cityId)));
        Assert.NotNull(cityAlert["acknowledgeBy"]);

        // The operator's live board gets the city's alert, never the drill, which was raised before it.
        var first = JsonNode.Parse((await operatorStream.NextEventAsync()).Data!)!;
        Assert.Equal(("city.integrationhub.alert.raised.v1", cityId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            (first["type"]!.GetValue<string>(), first["data"]!["alertId"]!.GetValue<string>()));

        // Nor does the operator find it in the list, by id, in CAP, the statistics, the feed or the telemetry.
        var open = (await admin.GetJsonAsync("/v1/alerts?open=true"))["items"]!.AsArray().Select(a => a!["id"]!.GetValue<long>()).ToList();
        Assert.Contains(cityId, open);
        Assert.DoesNotContain(drillId, open);
        await (await admin.GetAsync(new Uri($"/v1/alerts/{drillId}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "alert.not-found");
        await (await admin.GetAsync(new Uri($"/v1/alerts/{drillId}/cap", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "alert.not-found");
        var statistics = (await admin.GetJsonAsync("/v1/alerts/statistics?bucket=hour"))["items"]!.AsArray();
        Assert.Equal(1, statistics.Where(r => r!["level"]!.GetValue<string>() == "red").Sum(r => r!["raised"]!.GetValue<int>()));
        Assert.Empty((await drill.GetJsonAsync("/v1/alerts/statistics?bucket=hour"))["items"]!.AsArray());
        var feed = await FeedAsync(admin);
        Assert.Contains(feed, href => href.Contains($"/v1/alerts/{cityId}/cap", StringComparison.Ordinal));
        Assert.DoesNotContain(feed, href => href.Contains($"/v1/alerts/{drillId}/cap", StringComparison.Ordinal));
        Assert.Empty(await FeedAsync(drill));
        Assert.Empty((await admin.GetJsonAsync("/v1/telemetry/latest?organization=drill-gas"))["items"]!.AsArray());

        // Never dispatched.
        await (await drill.PostAsJsonAsync($"/v1/alerts/{drillId}/dispatch", new { organizationId = "city-gas", note = "send a crew" }))
            .ShouldBeProblemAsync(HttpStatusCode.Conflict, "alert.sandbox-drill");
        await (await admin.PostAsJsonAsync($"/v1/alerts/{drillId}/dispatch", new { organizationId = "city-gas" })).ShouldBeProblemAsync(HttpStatusCode.NotFound, "alert.not-found");

        // Past the red acknowledge deadline the city's alert goes up the supervision chain with the deadline's note; the
        // drill does not.
        Hub.Time.Advance(TimeSpan.FromMinutes(6));
        await Engine.SweepAsync(TestContext.Current.CancellationToken);
        Assert.Equal(["raised", "supervised"], await city.HistoryKindsAsync(cityId));
        Assert.Equal(["raised"], await drill.HistoryKindsAsync(drillId));
        Hub.Time.Advance(TimeSpan.FromMinutes(20));
        await Engine.SweepAsync(TestContext.Current.CancellationToken);
        var steps = (await drill.GetJsonAsync($"/v1/alerts/{drillId}"))["history"]!.AsArray();
        Assert.All(steps, s => Assert.Null(s!["note"]));
    }

    [Fact]
    public async Task CertificationSession_ThresholdStep_RaisesADrill_WhichStaysOneAfterCertification()
    {
        using var vendor = await Hub.ManagerAsync("cert-drill", "ch4-cert", sandbox: true);
        using var admin = await Hub.AdminAsync();

        // What `ihub certify` does: open a session, send what it says, have it graded.
        var session = await CertificationApiTests.OpenAsync(vendor, "ch4-cert");
        await CertificationApiTests.SendSessionAsync(Hub, vendor, "ch4-cert", session["instructions"]!["thresholdStep"]!);
        await Engine.CaughtUpAsync(TestContext.Current.CancellationToken);
        var id = session["id"]!.GetValue<string>();
        var evaluated = await (await vendor.PostAsync(new Uri($"/v1/certifications/{id}/evaluation", UriKind.Relative), null)).ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(("passed", "certified"), (evaluated["state"]!.GetValue<string>(), evaluated["adapterStatus"]!.GetValue<string>()));
        Assert.Contains("ch4-cert", evaluated["alertedDevices"]!.AsArray().Select(d => d!.GetValue<string>()));

        // The threshold step's alert is the vendor's drill: CAP Test, and nowhere in the operator's view.
        var alert = Assert.Single(await vendor.AlertsAsync("ch4-cert"));
        var alertId = alert["id"]!.GetValue<long>();
        Assert.True(alert["sandbox"]!.GetValue<bool>());
        Assert.Equal("Test", await CapStatusAsync(vendor, alertId));
        Assert.Empty((await admin.GetJsonAsync("/v1/alerts?organization=cert-drill"))["items"]!.AsArray());
        await (await admin.GetAsync(new Uri($"/v1/alerts/{alertId}", UriKind.Relative))).ShouldBeProblemAsync(HttpStatusCode.NotFound, "alert.not-found");
        Assert.DoesNotContain(await FeedAsync(admin), href => href.Contains($"/v1/alerts/{alertId}/cap", StringComparison.Ordinal));
    }
}
