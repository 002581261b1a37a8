using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using IntegrationHub.Gateway.Tests.Infrastructure;

namespace IntegrationHub.Gateway.Tests.Alerts;

/// <summary>
/// Alerts keep the time of the observation that raised them (ALR-005): a backfill of last week's data is counted in last
/// week's statistics, found by last week's time filters, and its CAP onset is last week.
/// </summary>
public sealed class AlertObservationTimeTests() : OwnHub(AlertSettings.WithoutDeadlines(new() { ["Auth:AccessTokenLifetime"] = "1.00:00:00" }))
{
    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);

    private static string Query(DateTimeOffset time) => Uri.EscapeDataString(time.ToString("O", CultureInfo.InvariantCulture));

    [Fact]
    public async Task Backfill_OfLastWeek_IsCountedFilteredAndOnsetByItsObservationTime()
    {
        using var owner = await Hub.ManagerAsync("backfill", "ch4-1");
        var (stream, _) = await SseReader.OpenAsync(owner, "/v1/stream?types=alert");
        await using var events = stream!;
        var now = DateTimeOffset.FromUnixTimeSeconds(Hub.Time.GetUtcNow().ToUnixTimeSeconds());
        var observed = now.AddDays(-7);
        // Two readings of 30 %LEL five minutes apart, taken a week ago and sent now: the second raises orange.
        await Hub.SendMethaneAsync(owner, "ch4-1", (observed.AddMinutes(-5), 30), (observed, 30));

        var alert = Assert.Single(await owner.AlertsAsync("ch4-1"));
        Assert.Equal("orange", alert["level"]!.GetValue<string>());
        Assert.Equal(observed, DateTimeOffset.Parse(alert["observedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture));
        Assert.True(DateTimeOffset.Parse(alert["raisedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture) >= now, "the hub raised it now");

        // Statistics count it in last week's day and hour, and nowhere today.
        var daily = await owner.GetJsonAsync($"/v1/alerts/statistics?bucket=day&offsetMinutes=480&from={Query(now.AddDays(-8))}&to={Query(now.AddMinutes(1))}");
        var day = Assert.Single(daily["items"]!.AsArray(), r => r!["level"]!.GetValue<string>() == "orange")!;
        Assert.Equal(1, day["raised"]!.GetValue<int>());
        var local = observed.ToOffset(Beijing);
        Assert.Equal(new DateTimeOffset(local.Year, local.Month, local.Day, 0, 0, 0, Beijing), DateTimeOffset.Parse(day["start"]!.GetValue<string>(), CultureInfo.InvariantCulture));
        var hourly = await owner.GetJsonAsync($"/v1/alerts/statistics?bucket=hour&from={Query(observed.AddHours(-2))}&to={Query(now.AddMinutes(1))}");
        var hour = Assert.Single(hourly["items"]!.AsArray(), r => r!["level"]!.GetValue<string>() == "orange")!;
        Assert.Equal(new DateTimeOffset(observed.Year, observed.Month, observed.Day, observed.Hour, 0, 0, TimeSpan.Zero), DateTimeOffset.Parse(hour["start"]!.GetValue<string>(), CultureInfo.InvariantCulture));
        Assert.Empty((await owner.GetJsonAsync($"/v1/alerts/statistics?bucket=hour&from={Query(now.AddHours(-1))}&to={Query(now.AddMinutes(1))}"))["items"]!.AsArray());

        // The list's time filters bound the observation time too.
        Assert.Single((await owner.GetJsonAsync($"/v1/alerts?device=ch4-1&from={Query(observed.AddHours(-1))}&to={Query(observed.AddHours(1))}"))["items"]!.AsArray());
        Assert.Empty((await owner.GetJsonAsync($"/v1/alerts?device=ch4-1&from={Query(now.AddHours(-1))}"))["items"]!.AsArray());
        Assert.Empty((await owner.GetJsonAsync($"/v1/alerts?device=ch4-1&to={Query(observed.AddMinutes(-1))}"))["items"]!.AsArray());

        // CAP: sent now, the onset a week ago.
        XNamespace cap = "urn:oasis:names:tc:emergency:cap:1.2";
        var document = XDocument.Parse(await owner.GetStringAsync(new Uri($"/v1/alerts/{alert["id"]}/cap", UriKind.Relative)));
        Assert.Equal(now.ToOffset(Beijing).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture), document.Root!.Element(cap + "sent")!.Value);
        Assert.Equal(local.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture), document.Root.Element(cap + "info")!.Element(cap + "onset")!.Value);

        // The alert's events carry it as well (schemas/alert-event.schema.json).
        var raised = JsonNode.Parse((await events.NextEventAsync()).Data!)!;
        Assert.Equal("city.integrationhub.alert.raised.v1", raised["type"]!.GetValue<string>());
        Assert.Equal(observed, DateTimeOffset.Parse(raised["data"]!["observedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture));
    }
}
