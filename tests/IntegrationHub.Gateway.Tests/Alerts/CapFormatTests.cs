using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using System.Xml.Schema;
using IntegrationHub.Conformance.Certification;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Alerts;

/// <summary>
/// The hub's live CAP, for an alert of every profile, against specs/cap/README.md §5 field by field and through the
/// OASIS XSD; and the feed, in which nothing closed stays in force.
/// </summary>
public sealed partial class CapFormatTests() : OwnHub(AlertSettings.WithoutDeadlines(new() { ["Auth:AccessTokenLifetime"] = "1.00:00:00" }))
{
    private static readonly SpecCatalog Spec = SpecCatalog.LoadEmbedded();
    private static readonly XNamespace Cap = "urn:oasis:names:tc:emergency:cap:1.2";
    private static readonly XNamespace Atom = "http://www.w3.org/2005/Atom";

    // Qingdao's districts and two elsewhere: every name comes from the GB/T 2260 table, not from a list of one city.
    private static readonly string[] Districts = ["370202", "370203", "370211", "370212", "370213", "370214", "370215", "370281", "370283", "370285", "110101", "310115"];

    private AlertEngine Engine => Hub.Services.GetRequiredService<AlertEngine>();

    /// <summary>cap/README.md §5: the category of each domain.</summary>
    private static string Category(string domain) => domain switch
    {
        "gas" or "water" or "drainage" or "heating" or "utility-tunnel" => "Infra",
        "bridge" or "metro" or "tunnel" or "traffic" => "Transport",
        "fire" or "forest-fire" => "Fire",
        "geology" or "earthquake" => "Geo",
        "weather" or "marine" or "flood" => "Met",
        _ => "Safety",
    };

    private static readonly Dictionary<string, string> Colours = new() { ["blue"] = "蓝色", ["yellow"] = "黄色", ["orange"] = "橙色", ["red"] = "红色" };

    [Fact]
    public async Task LiveCap_OfAnAlertOfEveryProfile_IsChineseAndFollowsTheSpecSection()
    {
        var schemas = CapSchemas();
        var (client, adapter) = await TenantAsync("cap-every", Spec.Profiles.Keys);
        using var _ = client;
        using var admin = await Hub.AdminAsync();

        var devices = new List<(CompiledProfile Profile, string DeviceId, string District, string RuleId)>();
        var index = 0;
        foreach (var profile in Spec.Profiles.Values.OrderBy(p => p.Id, StringComparer.Ordinal))
        {
            var deviceId = $"cap-{index:00}";
            var district = Districts[index++ % Districts.Length];
            await admin.RegisterDeviceAsync(adapter, deviceId, profile.Id, district);
            var (ruleId, messages) = Trigger(profile, deviceId);
            using var response = await client.PostBatchAsync([.. messages]);
            var result = await response.ShouldBeAsync(HttpStatusCode.OK);
            Assert.True(result["accepted"]!.GetValue<int>() == messages.Count, $"{profile.Id}: {result.ToJsonString()}");
            devices.Add((profile, deviceId, district, ruleId));
        }
        await Engine.CaughtUpAsync(TestContext.Current.CancellationToken);

        var feed = await FeedAsync(client);
        foreach (var (profile, deviceId, district, ruleId) in devices)
        {
            var alert = Assert.Single((await client.GetJsonAsync($"/v1/alerts?device={deviceId}"))["items"]!.AsArray(), a => a!["ruleId"]!.GetValue<string>() == ruleId)!;
            var id = alert["id"]!.GetValue<long>();
            var document = XDocument.Parse(await client.GetStringAsync(new Uri($"/v1/alerts/{id}/cap", UriKind.Relative)));
            Validate(document, schemas, profile.Id);
            var rule = profile.Definition.Rules.Single(r => r.Id == ruleId);
            var level = alert["level"]!.GetValue<string>();
            var area = Spec.Areas.NameOf(district)!;
            var root = document.Root!;
            var info = Assert.Single(root.Elements(Cap + "info"));
            var because = $"{profile.Id} rule {ruleId}";

            Assert.Equal(("Actual", "Alert", "Public"), (Text(root, "status"), Text(root, "msgType"), Text(root, "scope")));
            Assert.Equal("zh-CN", Text(info, "language"));
            Assert.Equal(Category(profile.Domain), Assert.Single(info.Elements(Cap + "category")).Value);
            Assert.Equal(rule.TitleZh, Text(info, "event"));
            Assert.Equal(level, EventCode(info, "warningLevel"));
            Assert.Equal($"{profile.Id}/{ruleId}", EventCode(info, "rule"));
            Assert.Equal($"{area}监测设备 {deviceId} {rule.TitleZh}{Colours[level]}预警", Text(info, "headline"));
            var description = Text(info, "description");
            Assert.StartsWith($"{area}监测设备 {deviceId}（{profile.Definition.TitleZh}）", description, StringComparison.Ordinal);
            Assert.EndsWith("。", description, StringComparison.Ordinal);
            Assert.Contains($"“{rule.TitleZh}”{Colours[level]}预警", description, StringComparison.Ordinal);
            foreach (var text in new[] { Text(info, "event"), Text(info, "headline"), description })
            {
                // One language: nothing Latin but the device id and the symbols after numbers (55 %LEL, 0.31 MPa).
                Assert.False(Latin().IsMatch(Measurement().Replace(text.Replace(deviceId, "", StringComparison.Ordinal), "")), $"{because}: '{text}' mixes languages");
            }
            var areaElement = Assert.Single(info.Elements(Cap + "area"));
            Assert.Equal(area, Text(areaElement, "areaDesc"));
            Assert.Equal("36.07,120.38 0.1", Text(areaElement, "circle"));
            Assert.Equal(("GB/T 2260", district), (Text(areaElement.Element(Cap + "geocode")!, "valueName"), Text(areaElement.Element(Cap + "geocode")!, "value")));
            Assert.Contains(feed, e => e.Title == Text(info, "headline") && e.Href.EndsWith($"/v1/alerts/{id}/cap?identifier={Text(root, "identifier")}", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Close_BeforeTheConditionCleared_IsACancel_SoNothingClosedStaysInForceInTheFeed()
    {
        var schemas = CapSchemas();
        var (client, adapter) = await TenantAsync("cap-close", ["gas.underground-methane"]);
        using var _ = client;
        using (var admin = await Hub.AdminAsync())
        {
            await admin.RegisterDeviceAsync(adapter, "ch4-close", district: "370212");
        }
        var end = Hub.Time.GetUtcNow().AddMinutes(-1);
        using (var sent = await client.PostBatchAsync(Methane("close-1", "ch4-close", 60, time: end)))
        {
            await sent.ShouldBeAsync(HttpStatusCode.OK);
        }
        await Engine.CaughtUpAsync(TestContext.Current.CancellationToken);
        var id = Assert.Single((await client.GetJsonAsync("/v1/alerts?device=ch4-close"))["items"]!.AsArray(), a => a!["ruleId"]!.GetValue<string>() == "ch4-level")!["id"]!.GetValue<long>();

        // The device still reads 60 %LEL: the condition holds when the alert is resolved and closed.
        Hub.Time.Advance(TimeSpan.FromMinutes(20));
        await (await client.PostAsJsonAsync($"/v1/alerts/{id}/resolve", new { note = "valve closed, well ventilated" })).ShouldBeAsync(HttpStatusCode.OK);
        await (await client.PostAsJsonAsync($"/v1/alerts/{id}/close", new { confirm = true, note = "closed on site; the terminal is replaced tomorrow" })).ShouldBeAsync(HttpStatusCode.OK);

        var history = (await client.GetJsonAsync($"/v1/alerts/{id}"))["history"]!.AsArray();
        Assert.DoesNotContain(history, s => s!["kind"]!.GetValue<string>() == "cleared");
        Assert.NotNull(history.Single(s => s!["kind"]!.GetValue<string>() == "closed")!["capIdentifier"]);
        var feed = (await FeedAsync(client)).Where(e => e.Href.Contains($"/v1/alerts/{id}/cap", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, feed.Count);
        var newest = XDocument.Parse(await client.GetStringAsync(new Uri(feed[0].Href)));
        Validate(newest, schemas, "the close");
        var first = XDocument.Parse(await client.GetStringAsync(new Uri(feed[1].Href))).Root!;
        var info = newest.Root!.Element(Cap + "info")!;
        Assert.Equal("Cancel", Text(newest.Root, "msgType"));
        Assert.Equal($"{Text(first, "sender")},{Text(first, "identifier")},{Text(first, "sent")}", Text(newest.Root, "references"));
        Assert.Equal(("AllClear", "Past"), (Text(info, "responseType"), Text(info, "urgency")));
        Assert.Equal("崂山区监测设备 ch4-close 甲烷浓度超限红色预警解除", Text(info, "headline"));
        Assert.Equal("崂山区监测设备 ch4-close（燃气管网相邻地下空间甲烷监测）值班人员已关闭预警，关闭时预警条件尚未解除，红色预警随之解除。", Text(info, "description"));
        Assert.Equal(feed[0].Title, Text(info, "headline"));
    }

    /// <summary>An organization whose production adapter may send the profiles and handle alerts: its client and the adapter id.</summary>
    private async Task<(HttpClient Client, string Adapter)> TenantAsync(string organization, IEnumerable<string> profiles)
    {
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(organization);
        var (id, secret) = await admin.CreateAdapterAsync(organization, organization + "-adapter", profiles: [.. profiles], scopes: ["telemetry:write", "alerts:read", "alerts:manage"]);
        // In production: a sandbox adapter's alerts are drills, whose CAP status is Test.
        await (await admin.PutAsJsonAsync($"/v1/adapters/{id}/status", new { status = "production" })).ShouldBeAsync(HttpStatusCode.OK);
        return (Hub.As(await Hub.TokenAsync(id, secret)), id);
    }

    /// <summary>
    /// Messages that raise an alert on a device of the profile, a minute apart and ending a minute ago: past the highest
    /// threshold the profile has a sample-counted rule for (as certification asks vendors), else a device state, a
    /// state value, a flag or a bit that a state rule matches at once.
    /// </summary>
    private (string RuleId, List<JsonObject> Messages) Trigger(CompiledProfile profile, string deviceId)
    {
        var end = Hub.Time.GetUtcNow().AddMinutes(-1);
        JsonObject Message(int i, int count, Action<JsonObject> fill)
        {
            var message = new JsonObject
            {
                ["messageId"] = $"{deviceId}-{i}",
                ["deviceId"] = deviceId,
                ["profile"] = profile.Id,
                ["time"] = end.AddMinutes(i - count + 1).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
            };
            fill(message);
            return message;
        }
        if (ThresholdStep.For(profile, deviceId) is { } step)
        {
            return (step.RuleId, [.. Enumerable.Range(0, step.Messages).Select(i => Message(i, step.Messages, m =>
                m["observations"] = new JsonArray(new JsonObject { ["metric"] = step.Metric, ["value"] = step.Value, ["unit"] = step.Unit })))]);
        }
        var (rule, match) = profile.Definition.Rules.OfType<StateRule>()
            .SelectMany(r => r.Match.Where(m => m.For is null).Select(m => (Rule: r, Match: m)))
            .OrderByDescending(x => x.Match.Level)
            .First();
        return (rule.Id, [Message(0, 1, m =>
        {
            if (rule.Metric is null)
            {
                // A message carries at least one observation: a quantity at its range's lower end beside the state.
                var (name, quantity) = profile.Definition.Metrics.First(x => x.Value.Kind == MetricKind.Quantity);
                m["observations"] = new JsonArray(new JsonObject { ["metric"] = name, ["value"] = quantity.Range!.Min, ["unit"] = quantity.Unit });
                m["status"] = new JsonObject { ["state"] = match.EqualsValue.GetString() };
            }
            else
            {
                JsonNode value = match.Bit is { } bit ? JsonValue.Create(1L << bit) : JsonNode.Parse(match.EqualsValue.GetRawText())!;
                m["observations"] = new JsonArray(new JsonObject { ["metric"] = rule.Metric, ["value"] = value });
            }
        })]);
    }

    private static async Task<List<(string Title, string Href)>> FeedAsync(HttpClient client) =>
        [.. XDocument.Parse(await client.GetStringAsync(new Uri("/v1/alerts/feed", UriKind.Relative))).Root!.Elements(Atom + "entry")
            .Select(e => (e.Element(Atom + "title")!.Value, e.Element(Atom + "link")!.Attribute("href")!.Value))];

    internal static XmlSchemaSet CapSchemas()
    {
        var xsd = Repository.Oracle("cap/cap12.xsd");
        if (xsd is null)
        {
            Assert.Skip($"{Repository.OraclesVariable} is not set, so the CAP 1.2 XSD (../shared/oracles/cap) is not available; .ci/run sets it.");
        }
        var schemas = new XmlSchemaSet();
        schemas.Add(Cap.NamespaceName, xsd);
        return schemas;
    }

    internal static void Validate(XDocument document, XmlSchemaSet schemas, string what)
    {
        var errors = new List<string>();
        document.Validate(schemas, (_, e) => errors.Add(e.Message));
        Assert.True(errors.Count == 0, $"{what}: {string.Join("; ", errors)}");
    }

    private static string Text(XElement parent, string name) => parent.Element(Cap + name)?.Value ?? throw new Xunit.Sdk.XunitException($"no <{name}> in <{parent.Name.LocalName}>");

    private static string EventCode(XElement info, string name) =>
        Assert.Single(info.Elements(Cap + "eventCode"), e => Text(e, "valueName") == name).Element(Cap + "value")!.Value;

    [GeneratedRegex("[A-Za-z]")]
    private static partial Regex Latin();

    /// <summary>A number and the unit symbol after it: <c>55 %LEL</c>, <c>0.31 MPa</c>, <c>412.5 m³/h</c>.</summary>
    [GeneratedRegex(@"-?[0-9][0-9.]* [^\s，。（）“”、：]+")]
    private static partial Regex Measurement();
}
