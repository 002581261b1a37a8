using System.Globalization;
using System.Net;
using IntegrationHub.Gateway.Telemetry.Aggregates;
using IntegrationHub.Gateway.Tests.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Telemetry;

/// <summary>
/// GET /v1/telemetry/aggregates against the raw data it summarizes (TEL-019): before the roller folded it, after, and
/// after late data landed in a bucket already rolled; and retention, which deletes only raw data past its profile's
/// age that the rollups hold and no alert cites. The jobs run on the hub's clock. Out-of-bounds queries are in QueryTests, on the shared hub.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class AggregatesTests() : OwnHub(AlertSettings.WithoutDeadlines(new()
{
    ["Retention:Raw"] = "1.00:00:00",
    ["Retention:Profiles:gas.underground-methane"] = "2.00:00:00",
    ["Aggregates:RollupInterval"] = "00:00:05",
    // Six hours of minute buckets are 360 points: one device's fit, two devices' do not.
    ["Aggregates:MaxPoints"] = "700",
}))
{
    private static readonly string[] Sizes = ["1m", "5m", "1h", "1d"];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static string Query(DateTimeOffset time) => Uri.EscapeDataString(time.ToString("O", CultureInfo.InvariantCulture));

    private static long Width(string bucket) => bucket switch
    {
        "1m" => 60_000,
        "5m" => 300_000,
        "1h" => 3_600_000,
        _ => 86_400_000,
    };

    /// <summary>The buckets computed here from the readings sent, as the endpoint should answer them.</summary>
    private static List<string> Expected(IEnumerable<(DateTimeOffset Time, double Value)> readings, string bucket) =>
        [.. readings.GroupBy(r => r.Time.ToUnixTimeMilliseconds() / Width(bucket)).OrderBy(g => g.Key)
            .Select(g => Point(DateTimeOffset.FromUnixTimeMilliseconds(g.Key * Width(bucket)), g.Count(), g.Min(r => r.Value), g.Max(r => r.Value), g.Sum(r => r.Value) / g.Count()))];

    private static string Point(DateTimeOffset start, long count, double min, double max, double mean) =>
        FormattableString.Invariant($"{start:O} n={count} min={min:R} max={max:R} mean={mean:R}");

    /// <summary>The answer's series, by organization/device, each as its points.</summary>
    private static async Task<Dictionary<string, List<string>>> AggregatesAsync(HttpClient client, string devices, string bucket, DateTimeOffset from, DateTimeOffset to)
    {
        var answer = await client.GetJsonAsync($"/v1/telemetry/aggregates?device={devices}&metric=ch4&bucket={bucket}&from={Query(from)}&to={Query(to)}");
        Assert.Equal(bucket, answer["bucket"]!.GetValue<string>());
        return answer["series"]!.AsArray().ToDictionary(
            s => s!["organizationId"]!.GetValue<string>() + "/" + s["deviceId"]!.GetValue<string>(),
            s => s!["points"]!.AsArray().Select(p => Point(
                DateTimeOffset.Parse(p!["start"]!.GetValue<string>(), CultureInfo.InvariantCulture), p["count"]!.GetValue<long>(),
                p["min"]!.GetValue<double>(), p["max"]!.GetValue<double>(), p["mean"]!.GetValue<double>())).ToList());
    }

    private static async Task SendAsync(HttpClient client, string device, IEnumerable<(DateTimeOffset Time, double Value)> readings)
    {
        using var posted = await client.PostBatchAsync([.. readings.Select(r => Methane($"{device}-{Guid.NewGuid():N}", device, r.Value, time: r.Time))]);
        await posted.ShouldBeAsync(HttpStatusCode.OK);
    }

    /// <summary>Moves the hub's clock until the roller, on its own schedule, has folded everything stored.</summary>
    private Task RolledAsync() => Hub.AdvanceUntilAsync(() => Hub.QueryAsync(async db =>
        await TelemetryRoller.WatermarkAsync(db, Cancel) == await db.Observations.MaxAsync(o => (long?)o.Id, Cancel)));

    [Fact]
    public async Task Aggregates_AgreeWithTheRawData_BeforeAndAfterTheRollup_AndAfterLateData()
    {
        var org = HubFixture.Unique("aggregates");
        var other = HubFixture.Unique("aggregates-other");
        using var client = await Hub.ManagerAsync(org, "d1");
        using (var admin = await Hub.AdminAsync())
        {
            await admin.RegisterDeviceAsync(org + "-adapter", "d2");
        }
        using var stranger = await Hub.TenantAsync(other, "d1");
        var now = Hub.Time.GetUtcNow();
        var from = now.AddHours(-5);
        var d1 = Enumerable.Range(0, 40).Select(i => (Time: from.AddMinutes(7 * i + 0.25), Value: (i % 9) * 0.5)).ToList();
        var d2 = Enumerable.Range(0, 25).Select(i => (Time: from.AddMinutes(11 * i + 0.5), Value: 4.5 - (i % 4))).ToList();
        await SendAsync(client, "d1", d1);
        await SendAsync(client, "d2", d2);
        // Another organization's d1: none of its readings are the caller's to see.
        await SendAsync(stranger, "d1", [(from.AddMinutes(3), 4.0)]);

        async Task AgreeAsync()
        {
            foreach (var size in Sizes)
            {
                var series = await AggregatesAsync(client, "d1,d2", size, from, now);
                Assert.Equal([$"{org}/d1", $"{org}/d2"], series.Keys.Order(StringComparer.Ordinal));
                Assert.Equal(Expected(d1, size), series[$"{org}/d1"]);
                Assert.Equal(Expected(d2, size), series[$"{org}/d2"]);
            }
        }

        // Nothing rolled yet: the raw data answers.
        await AgreeAsync();

        await RolledAsync();
        Assert.True(await Hub.QueryAsync(db => db.Rollups.AnyAsync(r => r.OrganizationId == org, Cancel)), "the roller wrote rollups");
        await AgreeAsync();

        // Late data in a bucket already rolled: first from the raw tail, then folded into the rollups.
        var late = (Time: d1[1].Time.AddSeconds(20), Value: 4.5);
        d1.Add(late);
        await SendAsync(client, "d1", [late]);
        await AgreeAsync();
        await RolledAsync();
        await AgreeAsync();
    }

    [Fact]
    public async Task Retention_DeletesRolledRawDataPastItsAge_ButNotWhatIsNotRolledYet_NorWhatAnAlertCites()
    {
        // A hub of its own whose roller runs only hourly, so that moving the clock past the methane profile's two hours
        // leaves the readings unrolled; the hub takes nothing older than that (time.too-old), so they are sent younger.
        await using var hub = new HubFactory(null, AlertSettings.WithoutDeadlines(new()
        {
            ["Retention:Raw"] = "01:00:00",
            ["Retention:Profiles:gas.underground-methane"] = "02:00:00",
            ["Retention:Interval"] = "1.00:00:00",
            ["Aggregates:RollupInterval"] = "01:00:00",
        }));
        hub.StartServer();
        var org = HubFixture.Unique("retention");
        using var client = await hub.ManagerAsync(org, "r1");
        using (var admin = await hub.AdminAsync())
        {
            await admin.RegisterDeviceAsync(org + "-adapter", "r2");
        }
        var now = hub.Time.GetUtcNow();
        var old = now.AddMinutes(-110);
        (DateTimeOffset Time, double Value)[] expired = [(old.AddMinutes(-5), 1), (old.AddMinutes(-2), 2)];
        await SendAsync(client, "r1", expired);
        // Kept by the methane profile's two hours, though older than the default hour once the clock moves.
        await SendAsync(client, "r1", [(now.AddMinutes(-40), 2.5), (now.AddMinutes(-1), 3)]);
        // Two readings of 30 %LEL raise an alert, which cites them.
        await hub.SendMethaneAsync(client, "r2", (old.AddMinutes(-5), 30), (old, 30));
        var alert = Assert.Single(await client.AlertsAsync("r2"));
        var retention = hub.Services.GetRequiredService<TelemetryRetention>();
        async Task<int> HistoryAsync(string device) =>
            (await client.GetJsonAsync($"/v1/telemetry/history?device={device}&from={Query(now.AddDays(-1))}&to={Query(now)}"))["items"]!.AsArray().Count;

        async Task<int> CitedAsync() => (await client.GetJsonAsync($"/v1/alerts/{alert["id"]}"))["observations"]!.AsArray().Count;
        var cited = await CitedAsync();
        Assert.InRange(cited, 1, 2);
        hub.Time.Advance(TimeSpan.FromMinutes(30));

        // Past its age but not rolled yet: kept, or the aggregates would lose it.
        await retention.PruneAsync(Cancel);
        Assert.Equal(4, await HistoryAsync("r1"));

        await hub.Services.GetRequiredService<TelemetryRoller>().RollAsync(Cancel);
        await retention.PruneAsync(Cancel);

        Assert.Equal(2, await HistoryAsync("r1"));
        Assert.Equal(cited, await HistoryAsync("r2"));
        Assert.Equal(cited, await CitedAsync());
        // The rollups still answer for the deleted readings (the hour up to old's holds no other reading of r1).
        var series = await AggregatesAsync(client, "r1", "1h", old.AddHours(-1), old);
        Assert.Equal(Expected(expired, "1h"), series[$"{org}/r1"]);
    }

    [Fact]
    public async Task Aggregates_CountEveryDeviceOfASharedName_AndResolveANameInTheCallersOrganizationFirst()
    {
        var first = HubFixture.Unique("shared-name");
        var second = HubFixture.Unique("shared-name-other");
        // Production adapters: the operator does not read sandbox data.
        using var one = await Hub.ManagerAsync(first, "s1");
        using var two = await Hub.ManagerAsync(second, "s1");
        var now = Hub.Time.GetUtcNow();
        await SendAsync(one, "s1", [(now.AddHours(-2), 1)]);
        await SendAsync(two, "s1", [(now.AddHours(-2), 2)]);
        var range = $"device=s1&metric=ch4&bucket=1m&from={Query(now.AddHours(-6))}&to={Query(now)}";

        // The operator reads both organizations' s1: two devices, over 700 points.
        using var admin = await Hub.AdminAsync();
        using (var response = await admin.GetAsync(new Uri("/v1/telemetry/aggregates?" + range, UriKind.Relative), Cancel))
        {
            await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "query.too-many-points");
        }
        Assert.Equal([$"{first}/s1", $"{second}/s1"], (await AggregatesAsync(admin, "s1", "1h", now.AddHours(-6), now)).Keys.Order(StringComparer.Ordinal));

        // An organization's own s1 is the one its name means.
        var own = await AggregatesAsync(one, "s1", "1m", now.AddHours(-6), now);
        Assert.Equal([$"{first}/s1"], own.Keys);
    }
}
