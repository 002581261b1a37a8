using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Ingestion;

[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class IngestTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    private sealed record Counts(int Messages, int Observations, int Quarantine);

    private Task<Counts> CountsAsync(string organizationId) => Hub.QueryAsync(async db => new Counts(
        await db.Messages.CountAsync(m => m.AdapterId == organizationId + "-adapter"),
        await db.Observations.CountAsync(o => o.OrganizationId == organizationId),
        await db.Quarantine.CountAsync(q => q.OrganizationId == organizationId)));

    [Fact]
    public async Task Post_ValidBatch_StoresNormalizedObservations()
    {
        var org = HubFixture.Unique("ingest-ok");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");
        // Within the gas domain's raw retention, as the hub takes nothing older (time.too-old).
        var time = new DateTimeOffset(Hub.Time.GetUtcNow().UtcDateTime.Date.AddDays(-1), TimeSpan.Zero).AddHours(10.5).ToOffset(TimeSpan.FromHours(8));

        using var response = await adapter.PostBatchAsync(Methane("m1", "ch4-1", 0.25, "%{vol}", time), Methane("m2", "ch4-1", 1000, "[ppm]", time.AddMinutes(5)));

        var result = await response.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(2, result["accepted"]!.GetValue<int>());
        var stored = await Hub.QueryAsync(db => db.Observations.Where(o => o.OrganizationId == org).OrderBy(o => o.ObservedAt).ToListAsync());
        Assert.Equal([5.0, 2.0], stored.Select(o => o.Number!.Value));
        Assert.All(stored, o => Assert.Equal("%{LEL}", o.Unit));
        Assert.Equal(time.ToUniversalTime().ToUnixTimeMilliseconds(), stored[0].ObservedAt);
        Assert.Equal(Hub.Time.GetUtcNow().ToUnixTimeMilliseconds(), stored[0].ReceivedAt);
    }

    [Fact]
    public async Task Post_SameMessageIdTwice_IsStoredOnce()
    {
        var org = HubFixture.Unique("ingest-dup");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");

        using var first = await adapter.PostBatchAsync(Methane("m1", "ch4-1"), Methane("m1", "ch4-1"));
        using var again = await adapter.PostBatchAsync(Methane("m1", "ch4-1"));

        var firstResult = await first.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal(["accepted", "duplicate"], firstResult["results"]!.AsArray().Select(r => r!["status"]!.GetValue<string>()));
        Assert.Equal("duplicate", (await again.ShouldBeAsync(HttpStatusCode.OK))["results"]![0]!["status"]!.GetValue<string>());
        Assert.Equal(new Counts(1, 1, 0), await CountsAsync(org));
    }

    public static TheoryData<string, Action<JsonObject>, string, string> BadMessages => new()
    {
        { "wrong type", m => m["observations"] = "ch4=3", "message.wrong-type", "/observations" },
        { "missing field", m => m.Remove("time"), "message.missing-field", "/time" },
        { "unknown field", m => m["colour"] = "red", "message.unknown-field", "/colour" },
        { "unknown profile", m => m["profile"] = "gas.no-such-profile", "profile.unknown", "/profile" },
        { "unknown unit", m => m["observations"]![0]!["unit"] = "%LEL", "unit.unknown", "/observations/0/unit" },
        { "out of range", m => m["observations"]![0]!["value"] = 101, "value.out-of-range", "/observations/0/value" },
        { "far future", m => m["time"] = "2099-01-01T00:00:00+08:00", "time.in-future", "/time" },
        { "unregistered device", m => m["deviceId"] = "nobody", "device.unregistered", "/deviceId" },
    };

    [Theory]
    [MemberData(nameof(BadMessages))]
    public async Task Post_BadMessage_IsRejectedWithCodeAndPointer_AndOnlyQuarantined(string name, Action<JsonObject> spoil, string code, string pointer)
    {
        var org = HubFixture.Unique("bad-" + name.Replace(' ', '-'));
        using var adapter = await Hub.TenantAsync(org, "ch4-1");

        using var response = await adapter.PostBatchAsync(Methane("good", "ch4-1"), Methane("bad", "ch4-1", edit: spoil));

        var result = await response.ShouldBeAsync(HttpStatusCode.OK);
        var rejected = result["results"]![1]!;
        Assert.Equal("rejected", rejected["status"]!.GetValue<string>());
        Assert.Equal(code, rejected["code"]!.GetValue<string>());
        Assert.Equal("/messages/1" + pointer, rejected["pointer"]!.GetValue<string>());
        Assert.Equal("accepted", result["results"]![0]!["status"]!.GetValue<string>());
        Assert.Equal(new Counts(1, 1, 1), await CountsAsync(org));

        var quarantine = await adapter.GetJsonAsync("/v1/quarantine");
        var entry = quarantine["items"]![0]!;
        Assert.Equal(rejected["quarantineId"]!.GetValue<long>(), entry["id"]!.GetValue<long>());
        Assert.Equal(code, entry["errors"]![0]!["code"]!.GetValue<string>());
        Assert.Equal(pointer, entry["errors"]![0]!["pointer"]!.GetValue<string>());
        Assert.Equal("bad", entry["payload"]!["messageId"]!.GetValue<string>());
    }

    /// <summary>A methane message whose JSON, as sent, has the <c>@</c> that <paramref name="mark"/> placed replaced by <paramref name="bytes"/>.</summary>
    private static byte[] Spoiled(byte[] bytes, Action<JsonObject> mark) => Spliced(Methane("bad", "ch4-1", edit: mark), bytes);

    public static TheoryData<string, byte[], string, string> UnreadableMessages => new()
    {
        { "bytes that are not UTF-8", Spoiled([0xFF, 0xFE], m => m["observations"]![0]!["unit"] = "%{LEL}@"), "message.invalid-text", "/observations/0/unit" },
        { "a lone surrogate escape", Spoiled(@"\ud800"u8.ToArray(), m => m["observations"]![0]!["unit"] = "@"), "message.invalid-text", "/observations/0/unit" },
        { "a member name that is not UTF-8", Spoiled([0xFF], m => m["@"] = 1), "message.invalid-text", "" },
        { "a member name escaping a lone surrogate", Spoiled(@"\udc00"u8.ToArray(), m => m["@"] = 1), "message.invalid-text", "" },
        { "a member named twice", Spoiled("\",\"unit\":\"[ppm]"u8.ToArray(), m => m["observations"]![0]!["unit"] = "%{LEL}@"), "message.duplicate-member", "/observations/0/unit" },
    };

    [Theory]
    [MemberData(nameof(UnreadableMessages))]
    public async Task Post_MessageWithUnreadableText_IsRejectedAlone_WithAPointer_AndItsBytesAreQuarantined(string name, byte[] bad, string code, string pointer)
    {
        var org = HubFixture.Unique("text-" + name.Split(' ')[^1].ToLowerInvariant());
        using var adapter = await Hub.TenantAsync(org, "ch4-1");
        byte[] body = [.. """{"messages": ["""u8, .. Encoding.UTF8.GetBytes(Methane("good", "ch4-1").ToJsonString()), (byte)',', .. bad, .. "]}"u8];

        using var response = await adapter.PostTelemetryAsync(body);

        var result = await response.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("accepted", result["results"]![0]!["status"]!.GetValue<string>());
        var rejected = result["results"]![1]!;
        Assert.Equal(("rejected", code, "/messages/1" + pointer, "bad"), (rejected["status"]!.GetValue<string>(), rejected["code"]!.GetValue<string>(), rejected["pointer"]!.GetValue<string>(), rejected["messageId"]!.GetValue<string>()));
        Assert.Equal(new Counts(1, 1, 1), await CountsAsync(org));
        var entry = (await adapter.GetJsonAsync("/v1/quarantine"))["items"]![0]!;
        Assert.Equal(rejected["quarantineId"]!.GetValue<long>(), entry["id"]!.GetValue<long>());
        // What was sent, exactly: its bytes when they are not UTF-8, else its text (JSON that cannot be written out again is shown as text).
        Assert.Equal(bad, entry["payloadBytes"] is { } bytes ? Convert.FromBase64String(bytes.GetValue<string>()) : Encoding.UTF8.GetBytes(entry["payloadText"]?.GetValue<string>() ?? entry["payload"]!.ToJsonString()));
    }

    /// <summary>
    /// Values a conforming JSON Schema 2020-12 validator (ajv, say) rejects, and .NET with JsonSchema.Net let through:
    /// a final newline (.NET's <c>$</c> matched before it), an exponent past an int (it wrapped: 1e4294967296 read as
    /// 1), a string of 80 code points in 40 grapheme clusters (lengths were counted in clusters).
    /// </summary>
    public static TheoryData<string, byte[], string, string> MessagesAtTheSchemasEdges => new()
    {
        { "a message id ending in a newline", Edge(m => m["messageId"] = "bad\n"), "message.invalid-value", "/messageId" },
        { "a time ending in a newline", Edge(m => m["time"] = "2026-01-05T10:00:00+08:00\n"), "message.invalid-value", "/time" },
        { "a latitude of 1e4294967296", Edge(m => m["location"] = new JsonObject { ["lon"] = 120.38, ["lat"] = "@" }, "1e4294967296"), "message.invalid-value", "/location/lat" },
        { "a latitude of -1e2147483648", Edge(m => m["location"] = new JsonObject { ["lon"] = 120.38, ["lat"] = "@" }, "-1e2147483648"), "message.invalid-value", "/location/lat" },
        { "a fault code of 80 code points", Edge(m => m["status"] = new JsonObject { ["faults"] = new JsonArray(string.Concat(Enumerable.Repeat("🇨🇳", 40))) }), "message.invalid-value", "/status/faults/0" },
    };

    /// <summary>A methane message, edited, whose string <c>"@"</c> (if <paramref name="raw"/> is given) is that number as written.</summary>
    private static byte[] Edge(Action<JsonObject> edit, string? raw = null)
    {
        var json = Methane("bad", "ch4-1", edit: edit).ToJsonString();
        return Encoding.UTF8.GetBytes(raw is null ? json : json.Replace("\"@\"", raw, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(MessagesAtTheSchemasEdges))]
    public async Task Post_MessageAtTheSchemasEdge_IsRejectedAsJsonSchemaRejectsIt(string name, byte[] bad, string code, string pointer)
    {
        var org = HubFixture.Unique("edge-" + name.Split(' ')[^1].ToLowerInvariant().Trim('-'));
        using var adapter = await Hub.TenantAsync(org, "ch4-1");
        byte[] body = [.. """{"messages": ["""u8, .. Encoding.UTF8.GetBytes(Methane("good", "ch4-1").ToJsonString()), (byte)',', .. bad, .. "]}"u8];

        using var response = await adapter.PostTelemetryAsync(body);

        var result = await response.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("accepted", result["results"]![0]!["status"]!.GetValue<string>());
        var rejected = result["results"]![1]!;
        Assert.Equal(("rejected", code, "/messages/1" + pointer), (rejected["status"]!.GetValue<string>(), rejected["code"]!.GetValue<string>(), rejected["pointer"]!.GetValue<string>()));
        Assert.Equal(new Counts(1, 1, 1), await CountsAsync(org));
    }

    [Fact]
    public async Task Post_LatitudeWithAHugeNegativeExponent_IsATinyNumber_AndAccepted()
    {
        var org = HubFixture.Unique("edge-tiny");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");
        var message = Edge(m => m["location"] = new JsonObject { ["lon"] = 120.38, ["lat"] = "@" }, "1e-4294967206");

        using var response = await adapter.PostTelemetryAsync([.. """{"messages": ["""u8, .. message, .. "]}"u8]);

        var result = await response.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("accepted", result["results"]![0]!["status"]!.GetValue<string>());
        Assert.Equal(0.0, await Hub.QueryAsync(db => db.Messages.Where(m => m.AdapterId == org + "-adapter").Select(m => m.Lat).SingleAsync()));
    }

    [Fact]
    public async Task Post_BodyThatIsNotUtf8Json_Is400_AndItsBytesAreQuarantined()
    {
        var org = HubFixture.Unique("ingest-not-utf8");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");
        byte[] body = [.. """{"messages": ["""u8, 0xFF, 0xFE, .. "]}"u8];

        using var response = await adapter.PostTelemetryAsync(body);

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.malformed-json");
        var entry = (await adapter.GetJsonAsync("/v1/quarantine"))["items"]![0]!;
        Assert.Equal(body, Convert.FromBase64String(entry["payloadBytes"]!.GetValue<string>()));
        Assert.Equal("{\"messages\": [\uFFFD\uFFFD]}", entry["payloadText"]!.GetValue<string>());
    }

    [Fact]
    public async Task Post_DeviceOfAnotherOrganization_IsRejectedAsUnregistered()
    {
        var mine = HubFixture.Unique("ingest-mine");
        var theirs = HubFixture.Unique("ingest-theirs");
        using var adapter = await Hub.TenantAsync(mine, "ch4-1");
        using var other = await Hub.TenantAsync(theirs, "their-device");

        using var response = await adapter.PostBatchAsync(Methane("m1", "their-device"));

        var result = await response.ShouldBeAsync(HttpStatusCode.OK);
        Assert.Equal("device.unregistered", result["results"]![0]!["code"]!.GetValue<string>());
        Assert.Equal(new Counts(0, 0, 0), await CountsAsync(theirs));
    }

    [Fact]
    public async Task Post_MalformedJson_Is400_AndQuarantined()
    {
        var org = HubFixture.Unique("ingest-malformed");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");

        using var response = await adapter.PostTelemetryAsync("""{"messages": [ {"messageId": "m1", """);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.malformed-json");
        Assert.Equal("request.malformed-json", problem["errors"]![0]!["code"]!.GetValue<string>());
        Assert.Equal(new Counts(0, 0, 1), await CountsAsync(org));
    }

    [Theory]
    [InlineData("[]", "")]
    [InlineData("""{"messages": []}""", "/messages")]
    [InlineData("""{"message": [{}]}""", "/message")]
    [InlineData("""{"messages": [{}], "messages": [{}]}""", "/messages")]
    public async Task Post_JsonThatIsNotABatch_Is400(string body, string pointer)
    {
        var org = HubFixture.Unique("ingest-shape");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");

        using var response = await adapter.PostTelemetryAsync(body);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "batch.not-a-batch");
        Assert.Equal(pointer, problem["errors"]![0]!["pointer"]!.GetValue<string>());
        Assert.Equal(new Counts(0, 0, 1), await CountsAsync(org));
    }

    [Fact]
    public async Task Post_UnsupportedMediaType_Is415()
    {
        var org = HubFixture.Unique("ingest-media");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");

        using var response = await adapter.PostTelemetryAsync("messageId=m1", "text/plain");

        await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "request.unsupported-media-type");
        Assert.Equal(new Counts(0, 0, 0), await CountsAsync(org));
    }

    [Fact]
    public async Task Post_TooManyMessages_Is413_AndStoresNothing()
    {
        var org = HubFixture.Unique("ingest-many");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");
        var messages = Enumerable.Range(0, 1001).Select(i => Methane($"m{i}", "ch4-1")).ToArray();

        using var response = await adapter.PostBatchAsync(messages);

        await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, "batch.too-many-messages");
        Assert.Equal(new Counts(0, 0, 0), await CountsAsync(org));
    }

    [Fact]
    public async Task Post_BodyOverTheLimit_Is413_AndStoresNothing()
    {
        var org = HubFixture.Unique("ingest-big");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");
        var padding = new string(' ', 1024 * 1024);

        using var response = await adapter.PostTelemetryAsync($$"""{"messages": [{{Methane("m1", "ch4-1").ToJsonString()}}]}{{padding}}""");

        await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, "request.body-too-large");
        Assert.Equal(new Counts(0, 0, 0), await CountsAsync(org));
    }

    [Fact]
    public async Task Post_AfterRejections_HubKeepsServing()
    {
        var org = HubFixture.Unique("ingest-resilient");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");

        (string Body, HttpStatusCode Status)[] garbage =
        [
            ("\0\u0001\u0002", HttpStatusCode.BadRequest),
            ("{", HttpStatusCode.BadRequest),
            (new string('[', 5000), HttpStatusCode.BadRequest),
            ("{\"messages\": [1, \"two\", null]}", HttpStatusCode.OK),
        ];
        foreach (var (body, status) in garbage)
        {
            using var bad = await adapter.PostTelemetryAsync(body);
            Assert.Equal(status, bad.StatusCode);
        }
        using var good = await adapter.PostBatchAsync(Methane("m1", "ch4-1"));

        Assert.Equal(1, (await good.ShouldBeAsync(HttpStatusCode.OK))["accepted"]!.GetValue<int>());
    }

    [Fact]
    public async Task Quarantine_OfABodyNestedDeeperThanIngestReads_IsListedAsText()
    {
        var org = HubFixture.Unique("quarantine-deep");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");
        var body = $"{{\"messages\": {new string('[', 50)}{new string(']', 50)}}}";

        using var refused = await adapter.PostTelemetryAsync(body);
        await refused.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "request.malformed-json");

        var entry = (await adapter.GetJsonAsync("/v1/quarantine"))["items"]![0]!;
        Assert.Equal(body, entry["payloadText"]!.GetValue<string>());
    }

    [Fact]
    public async Task Quarantine_ShowsOnlyTheCallersOwnEntries()
    {
        var mine = HubFixture.Unique("quarantine-mine");
        var theirs = HubFixture.Unique("quarantine-theirs");
        using var adapter = await Hub.TenantAsync(mine, "ch4-1");
        using var other = await Hub.TenantAsync(theirs, "ch4-1");
        using var rejected = await other.PostBatchAsync(Methane("m1", "nobody"));

        var page = await adapter.GetJsonAsync("/v1/quarantine");
        using var peek = await adapter.GetAsync(new Uri($"/v1/quarantine?adapterId={theirs}-adapter", UriKind.Relative));

        Assert.Empty(page["items"]!.AsArray());
        await peek.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "auth.insufficient-scope");
    }

    [Fact]
    public async Task Quarantine_PagesWithCursor()
    {
        var org = HubFixture.Unique("quarantine-paging");
        using var adapter = await Hub.TenantAsync(org, "ch4-1");
        using var rejected = await adapter.PostBatchAsync([.. Enumerable.Range(0, 5).Select(i => Methane($"m{i}", "nobody"))]);

        var first = await adapter.GetJsonAsync("/v1/quarantine?limit=3");
        var second = await adapter.GetJsonAsync($"/v1/quarantine?limit=3&cursor={first["nextCursor"]!.GetValue<string>()}");
        using var broken = await adapter.GetAsync(new Uri("/v1/quarantine?cursor=not-a-cursor", UriKind.Relative));

        Assert.Equal(["m4", "m3", "m2"], first["items"]!.AsArray().Select(i => i!["messageId"]!.GetValue<string>()));
        Assert.Equal(["m1", "m0"], second["items"]!.AsArray().Select(i => i!["messageId"]!.GetValue<string>()));
        Assert.Null(second["nextCursor"]);
        await broken.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "query.invalid-cursor");
    }
}

/// <summary>With <c>Ingestion:RequireCertification</c>, only certified and production adapters may send.</summary>
public sealed class CertificationRequiredTests() : OwnHub(new() { ["Ingestion:RequireCertification"] = "true" })
{
    [Fact]
    public async Task SandboxAdapter_Is403_UntilCertified()
    {
        using var adapter = await Hub.TenantAsync("certify", "d1");
        using var admin = await Hub.AdminAsync();

        using var sandbox = await adapter.PostBatchAsync(Methane("m1", "d1"));
        using var promoted = await admin.PutAsJsonAsync("/v1/adapters/certify-adapter/status", new { status = "certified" });
        await promoted.ShouldBeAsync(HttpStatusCode.OK);
        using var certified = await adapter.PostBatchAsync(Methane("m2", "d1"));

        await sandbox.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "adapter.not-certified");
        Assert.Equal(1, (await certified.ShouldBeAsync(HttpStatusCode.OK))["accepted"]!.GetValue<int>());
    }
}
