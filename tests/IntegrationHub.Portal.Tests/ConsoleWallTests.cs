using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;

namespace IntegrationHub.Portal.Tests;

/// <summary>
/// The operator console on the duty room's wall screen: one screen at 1920×1080, alarms nobody can miss, the real map of
/// Qingdao, names instead of ids. Screenshots of the wall go to artifacts/screenshots (the README shows them).
/// </summary>
public sealed class ConsoleWallTests : PortalHub
{
    // Counts the tones the page plays: the page makes its sound with Web Audio, so each tone is an oscillator started.
    private const string CountTones = """
        window.__tones = [];
        const start = OscillatorNode.prototype.start;
        OscillatorNode.prototype.start = function (...args) { window.__tones.push(this.frequency.value); return start.apply(this, args); };
        """;

    // Whether the map's canvas has anything drawn on it: its pixels are not all transparent.
    private const string MapIsDrawn = """
        () => { const c = document.querySelector('#map canvas'); if (!c || !c.width) return false;
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                for (let i = 3; i < d.length; i += 64) if (d[i]) return true; return false; }
        """;

    [Theory]
    [InlineData("zh-CN")]
    [InlineData("en")]
    public async Task Wall_At1920x1080_ShowsBoardMapAndSituationOnOneScreen_WithASideDrawer(string language)
    {
        using var admin = await AdminAsync();
        using var scada = await CityAdapterAsync(admin, "huangdao-gas",
            ("hd-01", "370211", 120.181, 35.962), ("hd-02", "370211", 120.1812, 35.9621), ("hd-03", "370211", 120.1814, 35.9619),
            ("hd-04", "370211", 120.03, 35.87), ("hd-05", "370211", 120.2, 36.0), ("hd-06", "370211", 119.95, 35.9),
            ("sn-01", "370202", 120.383, 36.067), ("ls-01", "370212", 120.47, 36.11), ("jm-01", "370215", 120.45, 36.39));
        await RaiseAsync(scada, 30, "hd-01", "hd-02", "hd-03", "hd-04", "sn-01", "jm-01");
        await RaiseAsync(scada, 60, "hd-05", "ls-01");
        await RaiseAsync(scada, 8, "hd-06");

        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress, language);
        await page.SetViewportSizeAsync(1920, 1080);
        await SignInAsOperatorAsync(page, $"/console?lang={language}");
        var rows = page.Locator("#board tr[data-alert-id]");
        await Assertions.Expect(rows).ToHaveCountAsync(9);
        await Assertions.Expect(page.Locator("#map")).ToHaveAttributeAsync("data-ready", "true");
        await Assertions.Expect(page.Locator("#trend-chart")).ToHaveAttributeAsync("data-raised", "9");
        await page.WaitForFunctionAsync(MapIsDrawn);

        // One screen: nothing scrolls, and board, map and situation are all inside the viewport.
        var layout = await page.EvaluateAsync<JsonElement>("""
            () => {
              const box = s => { const r = document.querySelector(s).getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height }; };
              const size = s => parseFloat(getComputedStyle(document.querySelector(s)).fontSize);
              return { scrollHeight: document.documentElement.scrollHeight, scrollWidth: document.documentElement.scrollWidth,
                board: box('.board-panel'), map: box('.map-panel'), situation: box('.situation-panel'), tiles: box('.tiles'),
                body: size('#board td.rule'), badge: size('#board .level'), count: size('#level-counts .count') };
            }
            """);
        Assert.True(layout.GetProperty("scrollHeight").GetDouble() <= 1080, $"the page scrolls: {layout}");
        Assert.True(layout.GetProperty("scrollWidth").GetDouble() <= 1920, $"the page scrolls sideways: {layout}");
        foreach (var panel in new[] { "board", "map", "situation", "tiles" })
        {
            var box = layout.GetProperty(panel);
            Assert.True(box.GetProperty("top").GetDouble() >= 0 && box.GetProperty("bottom").GetDouble() <= 1080 && box.GetProperty("right").GetDouble() <= 1920, $"{panel} is off the screen: {box}");
        }
        Assert.True(layout.GetProperty("map").GetProperty("height").GetDouble() >= 380, $"the map is too small to read: {layout}");
        // Read from across the room: body text 18 px or more, badges and counts larger.
        Assert.True(layout.GetProperty("body").GetDouble() >= 18, $"{layout}");
        Assert.True(layout.GetProperty("badge").GetDouble() > 18, $"{layout}");
        Assert.True(layout.GetProperty("count").GetDouble() > 18, $"{layout}");

        // The counts by level, the six in Huangdao by district, and the stacked markers: devices a few metres apart
        // (three in Huangdao) are one marker with their count, and every alert is counted in some marker.
        await Assertions.Expect(page.Locator("#level-counts [data-level=orange] .count")).ToHaveTextAsync("6");
        await Assertions.Expect(page.Locator("#level-counts [data-level=red] .count")).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("#level-counts [data-level=blue] .count")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("#situation tr[data-district='370211'] td[data-level=total]")).ToHaveTextAsync("6");
        await Assertions.Expect(page.Locator("#domains tr[data-domain=gas] td")).ToHaveTextAsync("9");
        var markers = JsonSerializer.Deserialize<int[]>((await page.Locator("#map").GetAttributeAsync("data-markers"))!)!;
        Assert.Contains(markers, m => m >= 3);
        Assert.Equal(9, markers.Sum());

        // The board's columns: red first, the value in %LEL, the district's name, the state, the age and both countdowns.
        var first = rows.First;
        await Assertions.Expect(first).ToHaveAttributeAsync("data-level", "red");
        await Assertions.Expect(first.Locator("td.value")).ToHaveTextAsync("60 %LEL");
        var chinese = language == "zh-CN";
        await Assertions.Expect(page.Locator("#board tr[data-alert-id] td[data-district='370215']")).ToHaveTextAsync(chinese ? "即墨区" : "Jimo");
        await Assertions.Expect(first.Locator("td.state")).ToHaveTextAsync(chinese ? "已发布" : "Raised");
        await Assertions.Expect(first.Locator(".age")).ToHaveTextAsync(chinese ? new System.Text.RegularExpressions.Regex("(分钟|秒)") : new System.Text.RegularExpressions.Regex("(minute|second|now)"));
        await Assertions.Expect(first.Locator("td.countdown[data-countdown=acknowledge]")).ToHaveTextAsync(chinese ? new System.Text.RegularExpressions.Regex("^剩余") : new System.Text.RegularExpressions.Regex("left$"));
        await Browser.ScreenshotAsync(page, $"console-wall-1920-{language}");

        // The selected alert opens in a drawer at the side, over the map, while the board stays in view.
        await first.ClickAsync();
        var drawer = page.Locator("#detail");
        await Assertions.Expect(drawer).ToBeVisibleAsync();
        var drawerBox = (await drawer.BoundingBoxAsync())!;
        Assert.True(drawerBox.X > 1920 / 2 && drawerBox.Height >= 1000, $"the drawer is not at the side: {drawerBox.X}, {drawerBox.Height}");
        Assert.True((await page.Locator(".board-panel").BoundingBoxAsync())!.X < drawerBox.X);
        await Assertions.Expect(page.Locator("#detail-facts")).ToContainTextAsync("60 %LEL");
        // The map stays drawn beside the drawer.
        await page.WaitForFunctionAsync(MapIsDrawn);
        await Browser.ScreenshotAsync(page, $"console-wall-1920-drawer-{language}");
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(drawer).ToBeHiddenAsync();

        // Full screen hides the portal's chrome.
        await page.Locator("#fullscreen").ClickAsync();
        await Assertions.Expect(page.Locator(".site-header")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#fullscreen")).ToHaveAttributeAsync("aria-pressed", "true");
        await page.Locator("#fullscreen").ClickAsync();
        await Assertions.Expect(page.Locator(".site-header")).ToBeVisibleAsync();

        // Two hours on, nobody has acknowledged: the countdowns turn red and say by how much they are overdue.
        await page.Clock.SetSystemTimeAsync(DateTime.UtcNow.AddHours(3));
        await Assertions.Expect(first.Locator("td.countdown[data-countdown=acknowledge]")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\boverdue\b"));
        await Assertions.Expect(first.Locator("td.countdown[data-countdown=acknowledge]")).ToHaveTextAsync(chinese ? new System.Text.RegularExpressions.Regex("^已超时") : new System.Text.RegularExpressions.Regex("^overdue by"));
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task RedAlert_FlashesCountsInTitleAndFavicon_SoundsOnceArmed_AndStopsWhenAcknowledged()
    {
        using var admin = await AdminAsync();
        using var scada = await CityAdapterAsync(admin, "licang-gas", ("lc-01", "370213", 120.43, 36.16), ("lc-02", "370213", 120.44, 36.17));
        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress, "zh-CN");
        await page.AddInitScriptAsync(CountTones);
        await page.SetViewportSizeAsync(1920, 1080);
        await SignInAsOperatorAsync(page, "/console");
        await Assertions.Expect(page.Locator("#live.live")).ToBeVisibleAsync();
        var sound = page.Locator("#sound");
        // The page says plainly that the sound is off until the officer turns it on.
        await Assertions.Expect(sound).ToHaveAttributeAsync("data-state", "off");
        await Assertions.Expect(sound).ToHaveTextAsync("提示音未开启：点击开启本班提示音");
        var baseTitle = await page.TitleAsync();

        // A red alert raised while the page is open: its row flashes, the title and the favicon count it. The sound is
        // not armed, so nothing plays (the browser would refuse it anyway without a gesture).
        var clock = Stopwatch.StartNew();
        await RaiseAsync(scada, 60, "lc-01");
        var red = page.Locator("#board tr[data-alert-id][data-level=red].flash");
        await Assertions.Expect(red).ToHaveCountAsync(1, new() { Timeout = 10_000 });
        var shown = clock.Elapsed;
        await Assertions.Expect(page).ToHaveTitleAsync($"(1) 1 条待确认 · {baseTitle}");
        Assert.StartsWith("data:image/png", await page.Locator("link[rel=icon]").GetAttributeAsync("href"));
        Assert.Equal(0, await page.EvaluateAsync<int>("() => window.__tones.length"));
        await Browser.ScreenshotAsync(page, "console-wall-red-flashing");

        // The officer arms the sound (a real click, the gesture browsers want): a chirp says it works, and the next red
        // alert sounds its pattern.
        await sound.ClickAsync();
        await Assertions.Expect(sound).ToHaveAttributeAsync("data-state", "on");
        await Assertions.Expect(sound).ToHaveTextAsync("提示音已开启");
        var chirp = await page.EvaluateAsync<int>("() => window.__tones.length");
        Assert.Equal(1, chirp);
        await RaiseAsync(scada, 60, "lc-02");
        await Assertions.Expect(red).ToHaveCountAsync(2);
        await Assertions.Expect(page).ToHaveTitleAsync($"(2) 2 条待确认 · {baseTitle}");
        await page.WaitForFunctionAsync("n => window.__tones.length >= n", chirp + 6);
        Assert.All(await page.EvaluateAsync<double[]>("() => window.__tones.slice(1)"), f => Assert.Contains(f, new[] { 988.0, 740.0 }));

        // Acknowledged: the row stops flashing and the counts go down; with none left the title is as it was.
        foreach (var device in new[] { "lc-01", "lc-02" })
        {
            await page.Locator($"#board tr[data-alert-id]:has-text('{device}')").ClickAsync();
            await page.Locator("#step-buttons button[data-step=acknowledge]").ClickAsync();
            await Assertions.Expect(page.Locator($"#board tr[data-alert-id]:has-text('{device}')")).ToHaveAttributeAsync("data-state", "acknowledged");
            await Assertions.Expect(page.Locator($"#board tr[data-alert-id]:has-text('{device}')")).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bflash\b"));
        }
        await Assertions.Expect(red).ToHaveCountAsync(0);
        await Assertions.Expect(page).ToHaveTitleAsync(baseTitle);
        Assert.DoesNotContain("data:", await page.Locator("link[rel=icon]").GetAttributeAsync("href"), StringComparison.Ordinal);
        TestContext.Current.SendDiagnosticMessage($"red alert raised → flashing on the board: {shown.TotalMilliseconds:F0} ms");
        File.WriteAllText(Path.Combine(Browser.Screenshots, "alarm-latency.txt"), $"{shown.TotalMilliseconds:F0} ms\n");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task Map_DrawsQingdaosRealDistricts_AndDevicesNearBordersLandInTheirOwnDistrict()
    {
        // WGS 84 points a few hundred metres from a border, each inside its district. Drawn on the source's GCJ-02
        // boundaries, unconverted, every one of them would fall in the neighbour named in the comment.
        (string Id, string District, double Lon, double Lat)[] border =
        [
            ("b-shinan", "370202", 120.37, 36.08),      // GCJ-02: 370203
            ("b-shibei", "370203", 120.3175, 36.075),   // GCJ-02: 370202
            ("b-laoshan", "370212", 120.42, 36.095),    // GCJ-02: 370203
            ("b-chengyang", "370214", 120.3925, 36.33), // GCJ-02: 370215
            ("b-jimo", "370215", 120.355, 36.315),      // GCJ-02: 370214
            ("b-huangdao", "370211", 120.005, 36.09),   // GCJ-02: 370281
        ];
        using var admin = await AdminAsync();
        using var scada = await CityAdapterAsync(admin, "border-gas", [.. border, ("b-misfiled", "370202", 120.47, 36.11)]);
        await RaiseAsync(scada, 30, [.. border.Select(b => b.Id), "b-misfiled"]);

        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress, "zh-CN");
        await page.SetViewportSizeAsync(1920, 1080);
        await SignInAsOperatorAsync(page, "/console");
        var map = page.Locator("#map");
        await Assertions.Expect(map).ToHaveAttributeAsync("data-ready", "true");
        // Qingdao's ten districts and county-level cities, with today's codes: 即墨区 is 370215, not 即墨市's 370282.
        await Assertions.Expect(map).ToHaveAttributeAsync("data-districts", "370202 370203 370211 370212 370213 370214 370215 370281 370283 370285");
        await Assertions.Expect(map.Locator("canvas").First).ToBeVisibleAsync();

        foreach (var (id, district, _, _) in border)
        {
            await Assertions.Expect(page.Locator($"#map-devices tr[data-device='{id}']")).ToHaveAttributeAsync("data-map-district", district);
        }
        // A device registered in 市南区 whose coordinates lie in 崂山区 is flagged.
        var misfiled = page.Locator("#map-devices tr[data-device='b-misfiled']");
        await Assertions.Expect(misfiled).ToHaveAttributeAsync("data-map-district", "370212");
        await Assertions.Expect(misfiled).ToHaveClassAsync("mismatch");
        await Assertions.Expect(page.Locator("#map-devices tr.mismatch")).ToHaveCountAsync(1);

        // Zoom and pan: the wheel zooms the map, and the markers follow.
        var box = (await map.BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
        var before = await map.GetAttributeAsync("data-markers");
        await Assertions.Expect(map).ToHaveAttributeAsync("data-zoom", "1");
        for (var i = 0; i < 12; i++)
        {
            await page.Mouse.WheelAsync(0, -400);
        }
        await Assertions.Expect(map).Not.ToHaveAttributeAsync("data-zoom", "1");
        // Closer in, the markers that crowded together come apart.
        await Assertions.Expect(map).Not.ToHaveAttributeAsync("data-markers", before!);
        await page.Locator("#map-reset").ClickAsync();
        await Assertions.Expect(map).ToHaveAttributeAsync("data-zoom", "1");
        await Assertions.Expect(map).ToHaveAttributeAsync("data-markers", before!);
        await Browser.ScreenshotAsync(page, "console-wall-map-borders");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task Phone_At390_ShowsTheBoardAsCards_AndTheMapFitsTheWidth()
    {
        using var admin = await AdminAsync();
        using var scada = await CityAdapterAsync(admin, "shinan-gas", ("sn-01", "370202", 120.383, 36.067), ("sn-02", "370202", 120.39, 36.07));
        await RaiseAsync(scada, 30, "sn-01");
        await RaiseAsync(scada, 60, "sn-02");

        var (page, errors) = await Browser.OpenAsync(Hub.BaseAddress, "zh-CN");
        await page.SetViewportSizeAsync(390, 844);
        await SignInAsOperatorAsync(page, "/console");
        await Assertions.Expect(page.Locator("#board tr[data-alert-id]")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#map")).ToHaveAttributeAsync("data-ready", "true");

        var measured = await page.EvaluateAsync<JsonElement>("""
            () => ({ scrollWidth: document.documentElement.scrollWidth, width: innerWidth,
                     row: getComputedStyle(document.querySelector('#board tr[data-alert-id]')).display,
                     map: document.querySelector('#map').getBoundingClientRect().width })
            """);
        Assert.True(measured.GetProperty("scrollWidth").GetInt32() <= 390, $"{measured}");
        Assert.Equal("block", measured.GetProperty("row").GetString());
        Assert.InRange(measured.GetProperty("map").GetDouble(), 300, 390);
        // A card names each of its fields.
        Assert.Equal("预警规则", await page.Locator("#board tr[data-alert-id] td.rule").First.GetAttributeAsync("data-label"));
        await Browser.ScreenshotAsync(page, "console-wall-390-zh-CN");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
