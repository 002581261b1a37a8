using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Certification;
using IntegrationHub.Conformance.Spec;
using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>
/// An organization's developer follows its adapter's certification in a real browser: the session and its verdict, the
/// report's checks with their requirement ids, and the signed report, downloaded and verified against the hub's keys.
/// </summary>
public sealed class CertificationPageTests : PortalHub
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly SpecCatalog Spec = SpecCatalog.LoadEmbedded();

    [Fact]
    public async Task Developer_SeesTheAdaptersSessions_ReadsTheReport_AndDownloadsASignedReportThatVerifies()
    {
        using var admin = await AdminAsync();
        await PostAsync(admin, "/v1/organizations", new { id = "jimo-gas", name = "Jimo Gas", kind = "enterprise" });
        await PostAsync(admin, "/v1/organizations", new { id = "other-gas", name = "Other Gas", kind = "enterprise" });
        var adapter = await PostAsync(admin, "/v1/organizations/jimo-gas/adapters", new { id = "jimo-gas-rtu", name = "Jimo RTU", allowedProfiles = new[] { "gas.underground-methane" } });
        var other = await PostAsync(admin, "/v1/organizations/other-gas/adapters", new { id = "other-gas-rtu", name = "Other RTU", allowedProfiles = new[] { "gas.underground-methane" } });
        await PostAsync(admin, "/v1/adapters/jimo-gas-rtu/devices", new { deviceId = "jm-ch4-01", profile = "gas.underground-methane", district = "370215", location = new { lon = 120.447, lat = 36.389 } });
        await PostAsync(admin, "/v1/adapters/other-gas-rtu/devices", new { deviceId = "ot-ch4-01", profile = "gas.underground-methane", district = "370215", location = new { lon = 120.45, lat = 36.39 } });
        var invitation = await PostAsync(admin, "/v1/users", new { email = "dev@jimo-gas.example.cn", name = "Zhao Min", role = "developer", organizationId = "jimo-gas" });

        // The adapter runs a passing session; another organization's adapter opens one too, which this developer never sees.
        using var rtu = await ClientAsync("jimo-gas-rtu", adapter["clientSecret"]!.GetValue<string>());
        var id = await CertifyAsync(rtu, "jm-ch4-01");
        using var otherRtu = await ClientAsync("other-gas-rtu", other["clientSecret"]!.GetValue<string>());
        var foreignId = (await OpenAsync(otherRtu, "ot-ch4-01"))["id"]!.GetValue<string>();

        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress);
        await AcceptInvitationAsync(page, invitation);

        await Assertions.Expect(page.Locator("tr[data-adapter-id='jimo-gas-rtu'] .adapter-status")).ToHaveTextAsync("certified");
        var row = page.Locator($"#certifications tr[data-certification-id='{id}']");
        await Assertions.Expect(row).ToContainTextAsync("passed");
        await Assertions.Expect(row).ToContainTextAsync("core-http, profile:gas.underground-methane");
        await Assertions.Expect(page.Locator("#certifications tr[data-certification-id]")).ToHaveCountAsync(1);

        // The report: every class passed, each check under its requirement id.
        await row.GetByRole(AriaRole.Button, new() { Name = "Report" }).ClickAsync();
        await Assertions.Expect(page.Locator("#report")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#report-summary")).ToContainTextAsync("Passed: adapter jimo-gas-rtu");
        await Assertions.Expect(page.Locator("#report-classes section[data-class='core-http'] h4")).ToContainTextAsync("passed");
        await Assertions.Expect(page.Locator("#report-classes section[data-class='profile:gas.underground-methane'] h4")).ToContainTextAsync("passed");
        await Assertions.Expect(page.Locator("#report-classes a[href='/docs/requirements#CERT-001']").First).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "developer-certification-report");

        // The signed report, downloaded as a file, verifies against the hub's published keys; its JSON is exactly what was signed.
        var jws = await DownloadAsync(page, "#report-jws", $"{id}.jws");
        var json = await DownloadAsync(page, "#report-json", $"{id}.json");
        using var http = Hub.CreateClient();
        var keys = await http.GetByteArrayAsync("/.well-known/jwks");
        var check = ReportSignature.Verify(System.Text.Encoding.ASCII.GetString(jws), keys);
        Assert.True(check.Valid, check.Error);
        Assert.Equal(System.Buffers.Text.Base64Url.DecodeFromChars(System.Text.Encoding.ASCII.GetString(jws).Split('.')[1]), json);
        Assert.True(errors.Count == 0, string.Join("\n", errors));

        // The other organization's session does not exist for this developer.
        Assert.Equal(404, await page.EvaluateAsync<int>($"async () => (await fetch('/v1/certifications/{foreignId}')).status"));
    }

    /// <summary>
    /// A failed report read in Chinese: each check's title and the findings the checks make themselves read in Chinese,
    /// from the check catalogue; a validator's finding reads as its code's Chinese title; the hints are the Chinese ones.
    /// The signed report stays as the hub wrote it, in English.
    /// </summary>
    [Fact]
    public async Task Developer_ReadingInChinese_SeesEveryCheckAndFindingInChinese_WhileTheSignedReportStaysEnglish()
    {
        using var admin = await AdminAsync();
        await PostAsync(admin, "/v1/organizations", new { id = "jimo-gas", name = "Jimo Gas", kind = "enterprise" });
        var adapter = await PostAsync(admin, "/v1/organizations/jimo-gas/adapters", new { id = "jimo-gas-rtu", name = "Jimo RTU", allowedProfiles = new[] { "gas.underground-methane" } });
        await PostAsync(admin, "/v1/adapters/jimo-gas-rtu/devices", new { deviceId = "jm-ch4-01", profile = "gas.underground-methane", district = "370215", location = new { lon = 120.447, lat = 36.389 } });
        await PostAsync(admin, "/v1/adapters/jimo-gas-rtu/devices", new { deviceId = "jm-ch4-02", profile = "gas.underground-methane", district = "370215", location = new { lon = 120.448, lat = 36.389 } });
        var invitation = await PostAsync(admin, "/v1/users", new { email = "dev@jimo-gas.example.cn", name = "Zhao Min", role = "developer", organizationId = "jimo-gas" });

        // One device sends once, in a unit the profile does not accept; the other never sends; nothing crosses the threshold.
        using var rtu = await ClientAsync("jimo-gas-rtu", adapter["clientSecret"]!.GetValue<string>());
        var session = await PostAsync(rtu, "/v1/certifications", new { profile = "gas.underground-methane", devices = new[] { "jm-ch4-01", "jm-ch4-02" }, intervalSeconds = 1, durationSeconds = 6 });
        var id = session["id"]!.GetValue<string>();
        using (var sent = await rtu.PostAsJsonAsync("/v1/telemetry", new { messages = new[] { Methane("jm-ch4-01-0", "jm-ch4-01", 0.4, unit: "%LEL", ago: TimeSpan.Zero) } }))
        {
            Assert.True(sent.IsSuccessStatusCode || (int)sent.StatusCode == 422, $"{(int)sent.StatusCode}");
        }
        var evaluated = await PostAsync(rtu, $"/v1/certifications/{id}/evaluation", new { });
        var signed = evaluated["report"]!["classes"]!.AsArray().SelectMany(c => c!["checks"]!.AsArray())
            .SelectMany(c => c!["findings"]!.AsArray().Select(f => f!["detail"]!.GetValue<string>()).Append(c["title"]!.GetValue<string>())).ToList();
        Assert.Contains("Every session device sends accepted messages over HTTP", signed);
        Assert.Contains("Device 'jm-ch4-02' sent no accepted message over http during the session.", signed);

        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress, "zh-CN");
        await AcceptInvitationAsync(page, invitation);
        await page.Locator($"#certifications tr[data-certification-id='{id}']").GetByRole(AriaRole.Button, new() { Name = "查看报告" }).ClickAsync();
        var report = page.Locator("#report-classes");
        await Assertions.Expect(report.Locator("tr[data-check='every-device-reports'] .check-title")).ToHaveTextAsync("会话中的每台设备都通过 HTTP 发送了被接受的消息");
        await Assertions.Expect(report.Locator("tr[data-check='every-device-reports'] li[data-code='certification.no-arrivals'] .finding-detail").First)
            .ToHaveTextAsync("设备“jm-ch4-01”在会话期间没有通过 http 发送任何被接受的消息。");
        await Assertions.Expect(report.Locator("tr[data-check='reporting-interval'] .check-title")).ToHaveTextAsync("每台设备至少每 1 秒上报一次");
        await Assertions.Expect(report.Locator("tr[data-check='reporting-interval'] li[data-code='certification.interval-exceeded'] .finding-detail").Last)
            .ToHaveTextAsync("设备“jm-ch4-02”在会话期间没有上报任何数据。");
        await Assertions.Expect(report.Locator("tr[data-check='alarm-on-threshold'] li[data-code='certification.no-alert'] .finding-detail")).ToContainTextAsync("没有为 jm-ch4-01 发起预警；越限步骤为：设备 jm-ch4-01 在连续");
        await Assertions.Expect(report.Locator("tr[data-check='units'] .check-title")).ToHaveTextAsync("数值使用 gas.underground-methane 规定的单位");
        await Assertions.Expect(report.Locator("tr[data-check='units'] li[data-code='unit.unknown'] .finding-detail")).ToContainTextAsync(Spec.Errors["unit.unknown"].TitleZh!);
        await Assertions.Expect(report.Locator("tr[data-check='units'] li[data-code='unit.unknown'] .finding-hint")).ToHaveTextAsync(Spec.Errors["unit.unknown"].HintZh!.Replace("`", "", StringComparison.Ordinal));
        await Assertions.Expect(report.Locator("li[data-code='certification.no-alert'] .finding-hint")).ToHaveTextAsync(Spec.Errors["certification.no-alert"].HintZh!.Replace("`", "", StringComparison.Ordinal));
        await Assertions.Expect(report.Locator("a[href='/docs/errors/certification.no-arrivals']").First).ToBeVisibleAsync();

        // No English text of the catalogues is left: every check's title and every hint is the Chinese one.
        var shown = await report.InnerTextAsync();
        foreach (var check in Spec.Checks.All)
        {
            Assert.DoesNotContain(check.Title.Split('{')[0].Trim(), shown, StringComparison.Ordinal);
            foreach (var finding in check.Findings)
            {
                Assert.DoesNotContain(finding.Detail.Split('{')[0].Trim(), shown, StringComparison.Ordinal);
            }
        }
        foreach (var error in Spec.Errors.All.Where(e => e.Code.StartsWith("certification.", StringComparison.Ordinal) || e.Code == "unit.unknown"))
        {
            Assert.DoesNotContain(error.Hint.Replace("`", "", StringComparison.Ordinal), shown, StringComparison.Ordinal);
        }
        await Browser.ScreenshotAsync(page, "developer-certification-report-zh-CN");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    private static async Task<byte[]> DownloadAsync(IPage page, string link, string expectedName)
    {
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator(link).ClickAsync());
        Assert.Equal(expectedName, download.SuggestedFilename);
        var path = Path.Combine(Directory.CreateTempSubdirectory("ihub-download-").FullName, expectedName);
        await download.SaveAsAsync(path);
        return await File.ReadAllBytesAsync(path);
    }

    private static async Task<JsonObject> OpenAsync(HttpClient adapter, string device) =>
        await PostAsync(adapter, "/v1/certifications", new { profile = "gas.underground-methane", devices = new[] { device }, intervalSeconds = 1, durationSeconds = 6 });

    /// <summary>Six readings a second apart, the third and fourth crossing the session's threshold step; then the evaluation.</summary>
    private async Task<string> CertifyAsync(HttpClient adapter, string device)
    {
        var session = await OpenAsync(adapter, device);
        var id = session["id"]!.GetValue<string>();
        var step = session["instructions"]!["thresholdStep"]!["value"]!.GetValue<double>();
        var messages = Enumerable.Range(0, 6).Select(i => Methane($"{device}-{i}", device, i is 2 or 3 ? step : 0.4, ago: TimeSpan.FromSeconds(5 - i))).ToArray();
        var sent = await PostAsync(adapter, "/v1/telemetry", new { messages });
        Assert.Equal(6, sent["accepted"]!.GetValue<int>());
        using (var timeout = new CancellationTokenSource(Timeout))
        {
            while (!(await adapter.GetFromJsonAsync<JsonObject>($"/v1/certifications/{id}", timeout.Token))!["alertedDevices"]!.AsArray().Any(d => d!.GetValue<string>() == device))
            {
                await Task.Delay(50, timeout.Token);
            }
        }
        var evaluated = await PostAsync(adapter, $"/v1/certifications/{id}/evaluation", new { });
        Assert.Equal("certified", evaluated["adapterStatus"]!.GetValue<string>());
        return id;
    }
}
