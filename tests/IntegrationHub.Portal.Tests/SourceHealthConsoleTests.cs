using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>
/// Source health (7×24 值守, HLT-001, HLT-002) in a real browser: the duty operator reads the online rate per district
/// and domain, the silent devices, the rejection share with its codes, the duplicates and the lateness, and each figure
/// is the one the API gives for the same sources.
/// </summary>
public sealed class SourceHealthConsoleTests : PortalHub
{
    private static string Percent(JsonNode? share) => (share!.GetValue<double>() * 100).ToString("F1", CultureInfo.InvariantCulture) + " %";

    [Fact]
    public async Task Operator_ReadsOnlineRatesSilentDevicesRejectionsAndLateness_AsTheApiGivesThem()
    {
        using var admin = await AdminAsync();
        using var scada = await CityAdapterAsync(admin, "hs-gas", ("hs-1", "370202", 120.38, 36.07), ("hs-2", "370202", 120.39, 36.07), ("hs-3", "370212", 120.47, 36.10));
        // Methane terminals report every 15 minutes: after 46 minutes without data all three are silent.
        Hub.Time.Advance(TimeSpan.FromMinutes(46));
        // One terminal comes back, two minutes late; its reading is sent twice, and one reading in a unit methane has not is rejected.
        var reading = Methane("hs-m1", "hs-1", 5, minutesAgo: 2);
        await PostAsync(scada, "/v1/telemetry", new { messages = new[] { reading, Methane("hs-bad", "hs-1", 5, unit: "degC") } });
        await PostAsync(scada, "/v1/telemetry", new { messages = new[] { reading } });
        // The hub measures its sources at most once per SourceHealth:CacheFor (15 s): the leader's check may just have done so.
        Hub.Time.Advance(TimeSpan.FromSeconds(16));

        var rates = (await admin.GetFromJsonAsync<JsonObject>("/v1/health/online-rate"))!;
        var sources = (await admin.GetFromJsonAsync<JsonObject>("/v1/health/sources?window=60"))!;
        var shinan = rates["items"]!.AsArray().Single(r => (string?)r!["district"] == "370202" && (string?)r["domain"] == "gas")!;
        var adapter = sources["adapters"]!.AsArray().Single(a => (string?)a!["adapterId"] == "hs-gas-scada")!;
        // The API's own figures, as the scenario makes them: the page must show these, not others.
        Assert.Equal((2, 1, 0.5), (shinan["registered"]!.GetValue<int>(), shinan["online"]!.GetValue<int>(), shinan["rate"]!.GetValue<double>()));
        Assert.Equal((3, 2, 1, 1L), (adapter["devices"]!.GetValue<int>(), adapter["silentDevices"]!.GetValue<int>(), adapter["rejected"]!.GetValue<int>(), adapter["duplicates"]!.GetValue<long>()));

        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress);
        await SignInAsOperatorAsync(page, "/console/sources");
        foreach (var rate in rates["items"]!.AsArray())
        {
            var row = page.Locator($"#online-rates tr[data-district='{rate!["district"]}'][data-domain='{rate["domain"]}']");
            await Assertions.Expect(row.Locator(".registered")).ToHaveTextAsync(rate["registered"]!.ToString());
            await Assertions.Expect(row.Locator(".online")).ToHaveTextAsync(rate["online"]!.ToString());
            await Assertions.Expect(row.Locator(".rate")).ToHaveTextAsync(Percent(rate["rate"]));
        }
        await Assertions.Expect(page.Locator("#online-total .rate")).ToHaveTextAsync(Percent(rates["total"]!["rate"]));

        var line = page.Locator("#adapters tr[data-adapter-id='hs-gas-scada']");
        await Assertions.Expect(line.Locator(".devices")).ToHaveTextAsync(adapter["devices"]!.ToString());
        await Assertions.Expect(line.Locator(".silent-devices")).ToHaveTextAsync(adapter["silentDevices"]!.ToString());
        await Assertions.Expect(line.Locator(".rejected")).ToHaveTextAsync($"{adapter["rejected"]} ({Percent(adapter["rejectionShare"])})");
        var rejection = adapter["rejections"]!.AsArray().Single()!;
        await Assertions.Expect(line.Locator(".codes")).ToHaveTextAsync($"{rejection["code"]}: {rejection["count"]}");
        await Assertions.Expect(line.Locator(".duplicates")).ToHaveTextAsync(adapter["duplicates"]!.ToString());
        await Assertions.Expect(line.Locator(".lateness")).ToHaveTextAsync($"{adapter["latenessP50Seconds"]} s / {adapter["latenessP90Seconds"]} s");
        Assert.Equal(120.0, adapter["latenessP50Seconds"]!.GetValue<double>());

        // Silent devices come first; only the silent ones when asked.
        await Assertions.Expect(page.Locator("#devices tr[data-device-id]").First).ToHaveAttributeAsync("data-silent", "true");
        await Assertions.Expect(page.Locator("#devices tr[data-device-id='hs-1']")).ToHaveAttributeAsync("data-silent", "false");
        await page.Locator("#sources-filter input[name=silent]").CheckAsync();
        await page.Locator("#sources-filter button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("#devices tr[data-device-id]")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#devices tr[data-device-id='hs-1']")).ToHaveCountAsync(0);

        // Narrowed to Laoshan: one district, one silent terminal, an online rate of nought.
        await page.Locator("#sources-filter select[name=district]").SelectOptionAsync("370212");
        await page.Locator("#sources-filter button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("#online-rates tr[data-district]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#online-rates tr[data-district='370212'][data-domain='gas'] .rate")).ToHaveTextAsync("0.0 %");
        await Browser.ScreenshotAsync(page, "source-health");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
