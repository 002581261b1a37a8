using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Tests.Infrastructure;
using IntegrationHub.Portal;

namespace IntegrationHub.Gateway.Tests.Portal;

/// <summary>
/// The public docs as a reader meets them over HTTP: each page renders from the spec, every link leads somewhere on the
/// hub, nothing is loaded from outside it, and the pages read in English or Chinese.
/// </summary>
public sealed partial class DocsPagesTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private static readonly string[] Entrances =
        ["/", "/docs", "/docs/profiles", "/docs/schemas", "/docs/mqtt", "/docs/loop", "/docs/requirements", "/docs/errors", "/docs/api", "/docs/downloads",
         "/docs/rules", "/docs/cap", "/docs/certification", "/docs/pull"];

    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task ProfilePage_ShowsMetricsThresholdsAndTheirSources()
    {
        using var client = Hub.As(null);

        using var response = await client.GetAsync(new Uri("/docs/profiles/gas.underground-methane", UriKind.Relative));
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        // The red level of ch4-level: its threshold in the metric's unit, that it holds at once, and its source.
        var red = RedRow().Match(html);
        Assert.True(red.Success, "the red level of ch4-level is listed");
        Assert.Contains("50 %{LEL}", red.Value, StringComparison.Ordinal);
        Assert.Contains("GB/T 50493-2019 5.5.2: '可燃气体的二级报警设定值应小于或等于50%LEL'", red.Value, StringComparison.Ordinal);
        Assert.Contains("the figure is borrowed", red.Value, StringComparison.Ordinal);
        Assert.Contains("Red (I)", red.Value, StringComparison.Ordinal);
        Assert.Contains("2 consecutive samples", html, StringComparison.Ordinal);
        // Units, conversions, ranges, the parameter reference and its default, states and examples.
        Assert.Contains("%{vol}</code>: %{LEL} = x ÷ (0.01 × lelVolPercent)", html, StringComparison.Ordinal);
        Assert.Contains("K</code>: Cel = x − 273.15", html, StringComparison.Ordinal);
        Assert.Contains("0 … 100 %{LEL}", html, StringComparison.Ordinal);
        Assert.Contains("<code>coverTiltDeg</code>", html, StringComparison.Ordinal);
        Assert.Contains("by default 10 deg", html, StringComparison.Ordinal);
        Assert.Contains("sensor-fault", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/specs/v1/examples/profiles/gas.underground-methane/invalid/unit-not-ucum.json\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/docs/errors/unit.unknown\"", html, StringComparison.Ordinal);
        Assert.Contains("15 min", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvidencePage_CountsEveryProfilesGradedLevelsByTag_InBothLanguages()
    {
        using var client = Hub.As(null);

        var english = WebUtility.HtmlDecode(await client.GetStringAsync(new Uri("/docs/profiles/evidence?lang=en", UriKind.Relative)));
        var chinese = WebUtility.HtmlDecode(await client.GetStringAsync(new Uri("/docs/profiles/evidence?lang=zh-CN", UriKind.Relative)));
        var index = await client.GetStringAsync(new Uri("/docs/profiles", UriKind.Relative));
        var methane = WebUtility.HtmlDecode(await client.GetStringAsync(new Uri("/docs/profiles/gas.underground-methane?lang=en", UriKind.Relative)));

        // Counted here from the profile files, not by the code that renders the page: every level of a threshold or
        // rate rule, every entry of a state rule, every absence and quality rule, every level of a composite rule's
        // graded condition and every gate of one.
        var total = new Dictionary<string, int> { ["P"] = 0, ["S"] = 0, ["U"] = 0, ["A"] = 0 };
        foreach (var file in Directory.GetFiles(Path.Combine(IntegrationHub.Testing.Repository.Root, "specs", "profiles"), "*.json"))
        {
            var profile = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file))!;
            var tags = profile["rules"]!.AsArray().SelectMany(r => r!["kind"]!.GetValue<string>() switch
            {
                "threshold" or "rate" => r["levels"]!.AsObject().Select(l => l.Value!["evidence"]!.GetValue<string>()),
                "state" => r["match"]!.AsArray().Select(m => m!["evidence"]!.GetValue<string>()),
                "composite" => r["conditions"]!.AsArray().SelectMany(c => c!["levels"] is System.Text.Json.Nodes.JsonObject levels
                    ? levels.Select(l => l.Value!["evidence"]!.GetValue<string>())
                    : [c["evidence"]!.GetValue<string>()]),
                _ => [r["evidence"]!.GetValue<string>()],
            }).ToList();
            var id = profile["id"]!.GetValue<string>();
            var row = Regex.Match(english, $"<tr id=\"evidence-{Regex.Escape(id)}\">(.*?)</tr>", RegexOptions.Singleline);
            Assert.True(row.Success, $"{id} has a row");
            var cells = Regex.Matches(row.Groups[1].Value, "<td>(.*?)</td>").Select(m => m.Groups[1].Value).ToList();
            string[] expected = [.. total.Keys.Select(tag => tags.Count(t => t == tag).ToString(CultureInfo.InvariantCulture)), tags.Count.ToString(CultureInfo.InvariantCulture)];
            Assert.Equal(expected, cells.Skip(2).Take(5));
            foreach (var tag in total.Keys)
            {
                total[tag] += tags.Count(t => t == tag);
            }
        }
        var all = Regex.Match(english, "<tr id=\"evidence-all\">(.*?)</tr>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Equal([.. total.Values.Select(v => v.ToString(CultureInfo.InvariantCulture)), total.Values.Sum().ToString(CultureInfo.InvariantCulture)],
            Regex.Matches(all, "<td>(.*?)</td>").Select(m => m.Groups[1].Value).Take(5));
        Assert.Contains("Evidence behind the thresholds", english, StringComparison.Ordinal);
        Assert.Contains("阈值依据", chinese, StringComparison.Ordinal);
        Assert.Contains("P 占比", chinese, StringComparison.Ordinal);
        Assert.Contains("href=\"/docs/profiles/evidence\"", index, StringComparison.Ordinal);
        Assert.Contains("href=\"/docs/profiles/evidence#evidence-gas.underground-methane\"", methane, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProfilePage_SaysWhichLevelsStayInactiveUntilASiteParameterIsSet_InBothLanguages()
    {
        using var client = Hub.As(null);

        var english = WebUtility.HtmlDecode(await client.GetStringAsync(new Uri("/docs/profiles/bridge.shm?lang=en", UriKind.Relative)));
        var chinese = WebUtility.HtmlDecode(await client.GetStringAsync(new Uri("/docs/profiles/bridge.shm?lang=zh-CN", UriKind.Relative)));
        var methane = WebUtility.HtmlDecode(await client.GetStringAsync(new Uri("/docs/profiles/gas.underground-methane?lang=en", UriKind.Relative)));

        // bridge.shm: 14 levels hang on parameters without defaults; the methane profile's parameters all have one.
        Assert.Equal(14, Regex.Count(english, "no default: inactive until it is set"));
        Assert.Contains("GET /v1/devices/inactive-levels lists those devices", english, StringComparison.Ordinal);
        Assert.Equal(14, Regex.Count(chinese, "无默认值：设置前此级别不生效"));
        Assert.Contains("GET /v1/devices/inactive-levels 列出所有此类设备", chinese, StringComparison.Ordinal);
        Assert.DoesNotContain("no default: inactive until it is set", methane, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"inactive-levels\"", methane, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_ShowTheSpecTheyDescribe()
    {
        using var client = Hub.As(null);
        var spec = SpecCatalog.LoadEmbedded();

        var profiles = await client.GetStringAsync(new Uri("/docs/profiles", UriKind.Relative));
        var schema = WebUtility.HtmlDecode(await client.GetStringAsync(new Uri("/docs/schemas/telemetry-message", UriKind.Relative)));
        var mqtt = WebUtility.HtmlDecode(await client.GetStringAsync(new Uri("/docs/mqtt", UriKind.Relative)));
        var requirements = await client.GetStringAsync(new Uri("/docs/requirements", UriKind.Relative));
        var api = await client.GetStringAsync(new Uri("/docs/api", UriKind.Relative));
        var downloads = await client.GetStringAsync(new Uri("/docs/downloads", UriKind.Relative));
        var error = await client.GetStringAsync(new Uri("/docs/errors/unit.unknown", UriKind.Relative));

        Assert.All(spec.Profiles.Keys, id => Assert.Contains($"href=\"/docs/profiles/{id}\"", profiles, StringComparison.Ordinal));
        Assert.Contains("<code>observations</code>", schema, StringComparison.Ordinal);
        Assert.Contains("telemetry-message/invalid/missing-device-id.json", schema, StringComparison.Ordinal);
        Assert.Contains("hub/v1/ingest/{adapterId}", mqtt, StringComparison.Ordinal);
        Assert.Contains("hub/v1/alerts/{district}/{domain}/{deviceId}", mqtt, StringComparison.Ordinal);
        Assert.Contains("clients publish, the hub receives", mqtt, StringComparison.Ordinal);
        Assert.Contains("de-duplicate by source + id across channels", mqtt, StringComparison.Ordinal);
        Assert.All(spec.Requirements.All, r => Assert.Contains($"<tr id=\"{r.Id}\">", requirements, StringComparison.Ordinal));
        Assert.Contains("href=\"/docs/errors/unit.unknown\"", requirements, StringComparison.Ordinal);
        Assert.Contains("href=\"/swagger\"", api, StringComparison.Ordinal);
        Assert.Contains("<code>/v1/telemetry</code>", api, StringComparison.Ordinal);
        Assert.All(spec.Files, f => Assert.Contains($"href=\"/specs/v1/{f.Path}\"", downloads, StringComparison.Ordinal));
        Assert.Matches("href=\"/docs/requirements#[A-Z]+-[0-9]{3}\"", error);
    }

    [Fact]
    public async Task DocsPages_EveryLinkResolves_AndNothingComesFromOutside()
    {
        using var client = Hub.As(null);
        var pages = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>(Entrances);
        var checkedLinks = new Dictionary<string, HttpStatusCode>(StringComparer.Ordinal);
        var anchors = new List<(string Page, string Target, string Fragment)>();

        while (queue.TryDequeue(out var path))
        {
            if (pages.ContainsKey(path))
            {
                continue;
            }
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
            var html = await response.Content.ReadAsStringAsync();
            pages[path] = html;

            Assert.Empty(OutsideReference().Matches(html));
            Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("style=", html, StringComparison.OrdinalIgnoreCase);
            Assert.Contains($"<link rel=\"stylesheet\" href=\"{PortalEndpoints.StylesheetPath}\" />", html, StringComparison.Ordinal);

            foreach (var link in Links().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups["url"].Value)))
            {
                if (link.StartsWith('?'))
                {
                    continue; // the language switch: this same page
                }
                Assert.StartsWith("/", link.StartsWith('#') ? "/" : link);
                var (target, fragment) = link.Split('#', 2) is [var t, var f] ? (t.Length == 0 ? path : t, f) : (link, "");
                if (fragment.Length > 0)
                {
                    anchors.Add((path, target, fragment));
                }
                if (target.StartsWith("/docs", StringComparison.Ordinal) || target == "/")
                {
                    queue.Enqueue(target);
                }
                else if (!checkedLinks.ContainsKey(target))
                {
                    using var linked = await client.GetAsync(new Uri(target, UriKind.Relative));
                    checkedLinks[target] = linked.StatusCode;
                }
            }
        }

        Assert.All(checkedLinks, l => Assert.True(l.Value == HttpStatusCode.OK, $"{l.Key}: {(int)l.Value}"));
        Assert.All(anchors.Where(a => pages.ContainsKey(a.Target)), a =>
            Assert.True(pages[a.Target].Contains($"id=\"{a.Fragment}\"", StringComparison.Ordinal), $"{a.Page} links {a.Target}#{a.Fragment}, which has no such id"));
        // Every spec file is downloadable from the docs, and every profile and error page was reached.
        var spec = SpecCatalog.LoadEmbedded();
        Assert.All(spec.Files, f => Assert.True(checkedLinks.ContainsKey($"/specs/v1/{f.Path}"), $"no link to {f.Path}"));
        Assert.All(spec.Profiles.Keys, id => Assert.True(pages.ContainsKey($"/docs/profiles/{id}")));
        Assert.All(spec.Errors.All, e => Assert.True(pages.ContainsKey($"/docs/errors/{e.Code}")));
    }

    [Fact]
    public async Task Pages_HaveLandmarksOrderedHeadingsAndLabelledTables()
    {
        using var client = Hub.As(null);

        foreach (var path in Entrances.Append("/docs/profiles/traffic.vehicle-jt808").Append("/docs/schemas/alert-event"))
        {
            var html = await client.GetStringAsync(new Uri(path, UriKind.Relative));

            Assert.Contains("<header", html, StringComparison.Ordinal);
            Assert.Contains("<nav class=\"site-nav\" aria-label=", html, StringComparison.Ordinal);
            Assert.Contains("<main id=\"content\"", html, StringComparison.Ordinal);
            Assert.Single(Regex.Matches(html, "<h1[ >]"));
            var levels = Regex.Matches(html, "<h([1-6])[ >]").Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.All(levels.Zip(levels.Skip(1)), pair => Assert.True(pair.Second <= pair.First + 1, $"{path}: h{pair.First} is followed by h{pair.Second}"));
            Assert.Equal(Regex.Count(html, "<table"), Regex.Count(html, "<caption>"));
        }
    }

    [Fact]
    public async Task NavCurrentSection_IsMarked()
    {
        using var client = Hub.As(null);

        var html = await client.GetStringAsync(new Uri("/docs/profiles/gas.underground-methane", UriKind.Relative));

        Assert.Contains("<a href=\"/docs/profiles\" aria-current=\"page\">", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<a href=\"/docs\" aria-current=\"page\">", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stylesheet_IsServedByTheHub()
    {
        using var client = Hub.As(null);

        using var response = await client.GetAsync(new Uri(PortalEndpoints.StylesheetPath, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/css", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(".level-red", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var again = new HttpRequestMessage(HttpMethod.Get, new Uri(PortalEndpoints.StylesheetPath, UriKind.Relative));
        again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        using var revalidated = await client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
    }

    [Fact]
    public async Task Stylesheet_IsServedInProductionToo()
    {
        await using var hub = new HubFactory { Environment = "Production" };
        hub.StartServer();
        using var client = hub.CreateClient();

        using var response = await client.GetAsync(new Uri(PortalEndpoints.StylesheetPath, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/css", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task DocsPages_CarryAContentSecurityPolicyWithoutScripts()
    {
        using var client = Hub.As(null);

        using var response = await client.GetAsync(new Uri("/docs", UriKind.Relative));

        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("style-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("script-src", policy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SwaggerUi_IsServedWithItsAssets_FromTheHub()
    {
        using var client = Hub.As(null);

        using var index = await client.GetAsync(new Uri("/swagger/index.html", UriKind.Relative));
        var html = await index.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        var assets = Assets().Matches(html).Select(m => m.Groups["url"].Value).ToList();
        Assert.Contains(assets, a => a.EndsWith(".js", StringComparison.Ordinal));
        Assert.Contains(assets, a => a.EndsWith(".css", StringComparison.Ordinal));
        Assert.Empty(OutsideReference().Matches(html));
        // No inline script or style: Swagger UI runs under a policy of script-src 'self' and style-src 'self'.
        Assert.DoesNotMatch("<script(?![^>]*\\bsrc=)[^>]*>", html);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" style=", html, StringComparison.OrdinalIgnoreCase);
        foreach (var asset in assets)
        {
            using var response = await client.GetAsync(new Uri(new Uri(Hub.BaseAddress, "/swagger/"), asset));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{asset}: {(int)response.StatusCode}");
            Assert.Empty(OutsideReference().Matches(await response.Content.ReadAsStringAsync()));
        }
        using var document = await client.GetAsync(new Uri("/swagger/v1/swagger.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
    }

    [Fact]
    public async Task Pages_ReadInChinese_ByQueryCookieOrAcceptLanguage()
    {
        using var client = Hub.As(null);

        using var chosen = await client.GetAsync(new Uri("/docs/profiles/gas.underground-methane?lang=zh-CN", UriKind.Relative));
        var html = WebUtility.HtmlDecode(await chosen.Content.ReadAsStringAsync());

        Assert.Contains("<html lang=\"zh-CN\">", html, StringComparison.Ordinal);
        Assert.Contains("红色 (I)", html, StringComparison.Ordinal);
        Assert.Contains("燃气管网相邻地下空间甲烷监测", html, StringComparison.Ordinal);
        Assert.Contains("预警规则", html, StringComparison.Ordinal);
        var cookie = Assert.Single(chosen.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Culture=", StringComparison.Ordinal));

        using var remembered = new HttpRequestMessage(HttpMethod.Get, new Uri("/docs", UriKind.Relative));
        remembered.Headers.Add("Cookie", cookie.Split(';')[0]);
        using var next = await client.SendAsync(remembered);
        Assert.Contains("开发者文档", WebUtility.HtmlDecode(await next.Content.ReadAsStringAsync()), StringComparison.Ordinal);

        using var asked = new HttpRequestMessage(HttpMethod.Get, new Uri("/docs/errors", UriKind.Relative));
        asked.Headers.AcceptLanguage.Add(new StringWithQualityHeaderValue("zh-CN"));
        using var answer = await client.SendAsync(asked);
        Assert.Contains("<h1 class=\"page-title\">错误码</h1>", WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync()), StringComparison.Ordinal);

        using var stranger = Hub.As(null); // without the cookie
        var english = await stranger.GetStringAsync(new Uri("/docs", UriKind.Relative));
        Assert.Contains("<html lang=\"en\">", english, StringComparison.Ordinal);
        Assert.Contains("Developer documentation", english, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccountPages_ReadInChinese_Too()
    {
        using var client = Hub.As(null);

        var signIn = WebUtility.HtmlDecode(await client.GetStringAsync(new Uri("/account/sign-in?lang=zh-CN", UriKind.Relative)));
        var invitation = WebUtility.HtmlDecode(await client.GetStringAsync(new Uri("/account/invitation?token=x&lang=zh-CN", UriKind.Relative)));
        var reset = WebUtility.HtmlDecode(await client.GetStringAsync(new Uri("/account/password-reset?token=x&lang=zh-CN", UriKind.Relative)));
        var english = await client.GetStringAsync(new Uri("/account/sign-in?lang=en", UriKind.Relative));

        Assert.Contains("<label for=\"email\">电子邮箱</label>", signIn, StringComparison.Ordinal);
        Assert.Contains("<button type=\"submit\">登录</button>", signIn, StringComparison.Ordinal);
        Assert.Contains("<label for=\"confirm\">再次输入密码</label>", invitation, StringComparison.Ordinal);
        Assert.Contains("minlength=\"12\"", invitation, StringComparison.Ordinal);
        Assert.Contains("<h1 class=\"page-title\">设置新密码</h1>", reset, StringComparison.Ordinal);
        Assert.Contains("action=\"/account/password-reset\"", reset, StringComparison.Ordinal);
        Assert.Contains("<label for=\"email\">Email</label>", english, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownProfileOrSchema_IsNotFound()
    {
        using var client = Hub.As(null);

        using var profile = await client.GetAsync(new Uri("/docs/profiles/gas.no-such-profile", UriKind.Relative));
        using var schema = await client.GetAsync(new Uri("/docs/schemas/no-such-schema", UriKind.Relative));

        await profile.ShouldBeProblemAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound);
        await schema.ShouldBeProblemAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound);
    }

    [GeneratedRegex("(?:src|href|action)=\"(?:[a-z][a-z0-9+.-]*:)?//", RegexOptions.IgnoreCase)]
    private static partial Regex OutsideReference();

    [GeneratedRegex("href=\"(?<url>[^\"]+)\"")]
    private static partial Regex Links();

    [GeneratedRegex("(?:src|href)=\"(?<url>[^\"]+)\"")]
    private static partial Regex Assets();

    [GeneratedRegex("<tr class=\"row-red\">.*?</tr>", RegexOptions.Singleline)]
    private static partial Regex RedRow();
}
