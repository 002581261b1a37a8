using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.Alerts;

/// <summary>
/// Composite rules on a running hub (rules.md §5a): recorded-style sequences of methane, ethane and hydrogen sulphide,
/// sent over HTTP, tell a natural-gas leak from biogas, and the alerts say which conditions raised them.
/// </summary>
public sealed class CompositeRuleTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    /// <summary>Two hours before the hub's clock: every sequence is in the past, five minutes a step.</summary>
    private DateTimeOffset Start { get; } = fixture.Hub.Time.GetUtcNow().AddHours(-2);

    /// <summary>One terminal's readings every five minutes from the <paramref name="step"/>th step on: (ch4 %LEL, c2h6 ppm, h2s mg/m³), null where not sent.</summary>
    private async Task SendAsync(HttpClient client, string deviceId, int step, params (double? Ch4, double? C2h6, double? H2s)[] readings)
    {
        var messages = readings.Select((r, i) =>
        {
            var observations = new JsonArray();
            if (r.Ch4 is { } ch4) { observations.Add(new JsonObject { ["metric"] = "ch4", ["value"] = ch4, ["unit"] = "%{LEL}" }); }
            if (r.C2h6 is { } c2h6) { observations.Add(new JsonObject { ["metric"] = "c2h6", ["value"] = c2h6, ["unit"] = "[ppm]" }); }
            if (r.H2s is { } h2s) { observations.Add(new JsonObject { ["metric"] = "h2s", ["value"] = h2s, ["unit"] = "mg/m3" }); }
            return new JsonObject
            {
                ["messageId"] = $"{deviceId}-{Guid.NewGuid():N}",
                ["deviceId"] = deviceId,
                ["profile"] = "gas.underground-methane",
                ["time"] = Start.AddMinutes(5 * (step + i)).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
                ["observations"] = observations,
            };
        }).ToArray();
        using var response = await client.PostBatchAsync(messages);
        Assert.Equal(readings.Length, (await response.ShouldBeAsync(HttpStatusCode.OK))["accepted"]!.GetValue<int>());
        await Hub.Services.GetRequiredService<AlertEngine>().CaughtUpAsync(TestContext.Current.CancellationToken);
    }

    private static string? LevelOf(List<JsonNode> alerts) => alerts.Count == 0 ? null : Assert.Single(alerts)["level"]!.GetValue<string>();

    [Fact]
    public async Task Composite_MethaneWithEthane_IsALeak_NotBiogas()
    {
        var org = HubFixture.Unique("leak");
        using var client = await Hub.ManagerAsync(org, "valve-well-7");

        // A leaking service pipe: ethane comes with the methane.
        await SendAsync(client, "valve-well-7", 0, (3.0, 12, 0), (6.0, 30, 0), (12.0, 55, 0));
        Assert.Equal("blue", LevelOf(await client.AlertsAsync("valve-well-7", "gas-leak")));
        await SendAsync(client, "valve-well-7", 3, (14.0, 60, 0));
        var leak = Assert.Single(await client.AlertsAsync("valve-well-7", "gas-leak"));
        Assert.Equal(("yellow", "composite"), (leak["level"]!.GetValue<string>(), leak["ruleKind"]!.GetValue<string>()));
        Assert.Empty(await client.AlertsAsync("valve-well-7", "biogas"));

        // The escalation names both conditions that hold at yellow, each with its metric and threshold.
        var history = (await client.GetJsonAsync($"/v1/alerts/{leak["id"]}"))["history"]!.AsArray();
        var causes = history.Last(s => s!["kind"]!.GetValue<string>() == "escalated")!["causes"]!.AsArray()
            .Select(c => (c!["metric"]!.GetValue<string>(), c["level"]!.GetValue<string>(), c["threshold"]!.GetValue<double>())).ToList();
        Assert.Equal([("ch4", "yellow", 10.0), ("c2h6", "yellow", 5.0)], causes);
    }

    [Fact]
    public async Task Composite_MethaneWithoutEthane_WithHydrogenSulphide_IsBiogas_NotALeak()
    {
        var org = HubFixture.Unique("biogas");
        using var client = await Hub.ManagerAsync(org, "sewer-12");

        // Decay in a sewer manhole: methane and hydrogen sulphide, no ethane. The methane rule raises either way.
        await SendAsync(client, "sewer-12", 0, (6.0, 0, 3.0), (7.0, 0, 3.2));
        Assert.Equal("blue", LevelOf(await client.AlertsAsync("sewer-12", "biogas")));
        Assert.Empty(await client.AlertsAsync("sewer-12", "gas-leak"));
        Assert.Equal("blue", LevelOf(await client.AlertsAsync("sewer-12")));

        // Methane alone (the other sensors' readings still recent) keeps it biogas, at yellow once methane has held for two samples.
        await SendAsync(client, "sewer-12", 2, (11.0, null, null), (12.0, null, null));
        Assert.Equal("yellow", LevelOf(await client.AlertsAsync("sewer-12", "biogas")));
        Assert.Empty(await client.AlertsAsync("sewer-12", "gas-leak"));
    }

    [Fact]
    public async Task Composite_MissingMetric_MeetsNothing()
    {
        var org = HubFixture.Unique("no-ethane");
        using var client = await Hub.ManagerAsync(org, "cable-well-3");

        // A terminal without ethane or hydrogen-sulphide sensors: neither composite rule can tell, so neither raises.
        await SendAsync(client, "cable-well-3", 0, (30.0, null, null), (30.0, null, null), (30.0, null, null));
        Assert.Equal("orange", LevelOf(await client.AlertsAsync("cable-well-3")));
        Assert.Empty(await client.AlertsAsync("cable-well-3", "gas-leak"));
        Assert.Empty(await client.AlertsAsync("cable-well-3", "biogas"));
    }
}
