using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using IntegrationHub.Adapters.Codecs;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IntegrationHub.Gateway.Tests.Ingestion;

/// <summary>
/// The bounded fuzz stage of ingest: generated input with bytes that are not UTF-8, lone surrogate escapes, huge and
/// tiny numbers, deep nesting, long strings and duplicate keys, in canonical JSON, SenML and the vendor CSV, through
/// the codecs and the validator in process, through <c>POST /v1/telemetry</c>, and through one MQTT group commit. It
/// holds the hub to: never a 5xx, never a crash, every message answered on its own, good messages beside bad ones
/// unaffected, and no message the hub fails on (<c>message.not-stored</c>). Each test draws its whole run from one
/// seed (<see cref="SeedVariable"/>, fixed by default), printed on failure so that the run can be replayed.
/// </summary>
public sealed class IngestFuzzTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    /// <summary>Set it to the seed a failure printed to replay that run.</summary>
    public const string SeedVariable = "IHUB_FUZZ_SEED";

    private const string DefaultSeed = "ck5aMZo4cgs1";
    private const string Profile = "gas.underground-methane";
    private static readonly SpecCatalog Spec = SpecCatalog.LoadEmbedded();
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static int _ids;

    private HubFactory Hub => fixture.Hub;

    private static string Seed => Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } seed ? seed : DefaultSeed;

    // ---- what is generated -------------------------------------------------------------------------------------

    private static byte[] U8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Quote(byte[] inner) => [(byte)'"', .. inner, (byte)'"'];

    private static readonly byte[][] NotUtf8 = [[0xFF], [0xFE, 0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF5, 0x80, 0x80, 0x80], [0x80], [0xF0, 0x9F, 0x98]];

    private static readonly string[] Escapes = [@"\ud800", @"\udfff", @"\ud83d", @"\ud83d\u0041", @"\ude00\ud83d", @"\ud83d\ude00", @"\u0000", @"\\ud800", @"\uffff"];

    private static readonly string[] Numbers =
        ["1e400", "-1e400", "1e-400", "1e308", "-1.7976931348623157e308", "-0", "0", "123456789012345678901234567890", "1E+999999", "1e-999999", "18446744073709551616", "-9223372036854775809", "0.1e1", "4.9e-324"];

    /// <summary>The bytes of a JSON string that is not plain text: invalid UTF-8, a surrogate escape, or a long run of characters.</summary>
    private static readonly Gen<byte[]> NastyString = Gen.OneOf(
        Gen.Select(Gen.OneOf(NotUtf8), Gen.OneOf("", "ch4", "%{LEL}", "温"), (bad, text) => Quote([.. U8(text), .. bad])),
        Gen.Select(Gen.OneOf(Escapes), Gen.OneOf("", "x", "ch4-1"), (escape, text) => Quote(U8(text + escape))),
        Gen.Select(Gen.Int[100, 10_000], Gen.OneOf("x", "温", @"\u6e29", "\\\""), (n, unit) => Quote(U8(string.Concat(Enumerable.Repeat(unit, n))))));

    private static readonly Gen<byte[]> NastyNumber = Gen.OneOf(
        Gen.OneOf(Numbers).Select(U8),
        Gen.Double.Where(double.IsFinite).Select(d => U8(d.ToString("R", CultureInfo.InvariantCulture))));

    /// <summary>Arrays and objects nested up to 20 deep: inside the parser's depth, so judged per message.</summary>
    private static readonly Gen<byte[]> Nesting = Gen.Select(Gen.Int[1, 20], Gen.Bool, (depth, arrays) => arrays
        ? U8(new string('[', depth) + "1" + new string(']', depth))
        : U8(string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth)));

    private static readonly Gen<byte[]> NastyValue = Gen.Frequency<byte[]>(
        (4, NastyString), (3, NastyNumber), (2, Nesting), (1, Gen.OneOf("true", "null", "{}", "[]", "\"\"").Select(U8)));

    /// <summary>A methane message whose members are raw JSON, so that any of them can be replaced by anything.</summary>
    private sealed record Message(Dictionary<string, byte[]> Members, byte[]? Extra)
    {
        public byte[] Json()
        {
            var json = new List<byte>(256) { (byte)'{' };
            json.AddRange(U8($"\"messageId\":"));
            json.AddRange(Members["messageId"]);
            json.AddRange(U8(",\"deviceId\":"));
            json.AddRange(Members["deviceId"]);
            json.AddRange(U8($",\"profile\":\"{Profile}\",\"time\":"));
            json.AddRange(Members["time"]);
            json.AddRange(U8(",\"observations\":[{\"metric\":"));
            json.AddRange(Members["metric"]);
            json.AddRange(U8(",\"value\":"));
            json.AddRange(Members["value"]);
            json.AddRange(U8(",\"unit\":"));
            json.AddRange(Members["unit"]);
            json.Add((byte)'}');
            json.Add((byte)']');
            json.AddRange(Extra ?? []);
            json.Add((byte)'}');
            return [.. json];
        }
    }

    /// <summary>A fuzzed message: the good ones must be accepted whatever their neighbours are.</summary>
    private sealed record Case(bool Good, string? MessageId, byte[] Json)
    {
        public override string ToString() => $"{(Good ? "good" : "bad")} {MessageId}: {Printable(Json)}";
    }

    private static string Printable(byte[] bytes) =>
        bytes.Length <= 300 ? Encoding.UTF8.GetString(bytes) : $"{Encoding.UTF8.GetString(bytes, 0, 300)}… ({bytes.Length} bytes)";

    private Case Good(string device = "ch4-1")
    {
        var id = $"g-{Interlocked.Increment(ref _ids)}";
        var time = Hub.Time.GetUtcNow().AddMinutes(-1).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture);
        return new Case(true, id, new Message(Members(id, device, time), null).Json());
    }

    private static Dictionary<string, byte[]> Members(string id, string device, string time) => new()
    {
        ["messageId"] = Quote(U8(id)),
        ["deviceId"] = Quote(U8(device)),
        ["time"] = Quote(U8(time)),
        ["metric"] = Quote(U8("ch4")),
        ["value"] = U8("3.2"),
        ["unit"] = Quote(U8("%{LEL}")),
    };

    /// <summary>A message of registered device ch4-2 with one member replaced, or with a duplicate or unknown member added.</summary>
    private Gen<Case> Bad() => Gen.Select(Gen.OneOf("messageId", "deviceId", "time", "metric", "value", "unit", "extra"), NastyValue, Gen.Int[0, 3], (slot, nasty, extra) =>
    {
        var id = $"b-{Interlocked.Increment(ref _ids)}";
        var members = Members(id, "ch4-2", Hub.Time.GetUtcNow().AddMinutes(-2).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture));
        byte[]? added = null;
        if (slot == "extra")
        {
            added = extra switch
            {
                0 => [.. U8(",\"messageId\":"), .. nasty],
                1 => [.. U8(",\"observations\":"), .. nasty],
                2 => [.. U8(",\"status\":{\"faults\":["), .. nasty, .. U8("],\"battery\":"), .. nasty, (byte)'}'],
                _ => [.. U8(",\"location\":{\"lon\":"), .. nasty, .. U8(",\"lat\":1,\"lat\":"), .. nasty, (byte)'}'],
            };
        }
        else
        {
            members[slot] = nasty;
        }
        return new Case(false, slot == "messageId" ? null : id, new Message(members, added).Json());
    });

    /// <summary>A batch of a few good and bad messages, in any order.</summary>
    private Gen<Case[]> Batch() => Gen.Select(Bad().Array[1, 5], Gen.Int[0, 5].Array[1, 3], (bad, places) =>
    {
        var cases = bad.ToList();
        foreach (var place in places)
        {
            cases.Insert(Math.Min(place, cases.Count), Good());
        }
        return cases.ToArray();
    });

    /// <summary>
    /// Damage to a body's structure, which refuses the body whole (kind 0 is none): 1 truncation by n bytes, 2 nesting
    /// n deep, past the parser's depth, 3 a second "messages", 4 a root that is no object.
    /// </summary>
    private static readonly Gen<(int Kind, int N)> Damage = Gen.Frequency<(int, int)>(
        (12, Gen.Const((0, 0))),
        (1, Gen.Int[1, 50].Select(n => (1, n))),
        (1, Gen.Int[40, 80].Select(n => (2, n))),
        (1, Gen.Const((3, 0))),
        (1, Gen.Const((4, 0))));

    // ---- what is asserted ---------------------------------------------------------------------------------------

    /// <summary>The message ids a codec makes of a body, in order; null when the body's structure is damaged (refused whole).</summary>
    private static List<string?>? Decoded(ITelemetryCodec codec, byte[] body)
    {
        try
        {
            using var document = codec.Decode(body, new CodecContext { Profile = Profile });
            return BatchEnvelope.Check(document.RootElement) is null
                ? [.. document.RootElement.GetProperty("messages").EnumerateArray().Select(MessageId)]
                : null;
        }
        catch (Exception e) when (e is JsonException or CodecException)
        {
            return null;
        }
    }

    // Read the way a client would, which does not know the hub's rules for text: an unreadable id is none.
    private static string? MessageId(JsonElement message)
    {
        try
        {
            return message.ValueKind == JsonValueKind.Object && message.TryGetProperty("messageId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Posts a body and holds the answer to the promises: 400 for a damaged structure, else 200 with one result per
    /// message, each good one accepted, and no message the hub failed on.
    /// </summary>
    private static async Task PostAndJudgeAsync(HttpClient adapter, ITelemetryCodec codec, string mediaType, byte[] body, IReadOnlyCollection<string> good)
    {
        var expected = Decoded(codec, body);
        using var response = await adapter.PostTelemetryAsync(body, mediaType);
        var answer = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for {Printable(body)}: {answer}");
        if (expected is null)
        {
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} where 400 was due for {Printable(body)}: {answer}");
            return;
        }
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} for {Printable(body)}: {answer}");
        var results = JsonNode.Parse(answer)!["results"]!.AsArray();
        Assert.Equal(expected.Count, results.Count);
        for (var i = 0; i < results.Count; i++)
        {
            var result = results[i]!;
            Assert.Equal(i, result["index"]!.GetValue<int>());
            var status = result["status"]!.GetValue<string>();
            if (expected[i] is { } id && good.Contains(id))
            {
                Assert.True(status == "accepted", $"good message {id} was {status}: {result.ToJsonString()} in {Printable(body)}");
            }
            if (status == "rejected")
            {
                Assert.NotEqual("message.not-stored", result["code"]!.GetValue<string>());
                Assert.StartsWith("/messages/" + i.ToString(CultureInfo.InvariantCulture), result["pointer"]!.GetValue<string>(), StringComparison.Ordinal);
                Assert.NotNull(result["quarantineId"]);
            }
        }
    }

    private static async Task RunAsync<T>(Gen<T> gen, int count, Func<T[], Task> check) where T : notnull
    {
        var seed = Seed;
        try
        {
            await gen.Array[count].SampleAsync(check, seed: seed, iter: 1, threads: 1, print: cases => $"{cases.Length} cases");
        }
        catch (CsCheckException e)
        {
            throw new Xunit.Sdk.XunitException($"Fuzz run with seed {seed} failed; replay it with {SeedVariable}={seed}.\n{e.InnerException ?? e}");
        }
    }

    private async Task<HttpClient> AdapterAsync(string name)
    {
        var org = HubFixture.Unique(name);
        var adapter = await Hub.TenantAsync(org, "ch4-1");
        using var admin = await Hub.AdminAsync();
        await admin.RegisterDeviceAsync(org + "-adapter", "ch4-2");
        return adapter;
    }

    // ---- the runs -----------------------------------------------------------------------------------------------

    [Fact]
    public async Task CodecsAndValidator_InProcess_NeverThrowAnythingButAFormatError()
    {
        ITelemetryCodec[] codecs = [new CanonicalJsonCodec(), new SenmlJsonCodec(Hub.Time), new VendorCsvCodec()];
        var context = new ValidationContext { Now = Hub.Time.GetUtcNow(), AdapterId = "a" };
        await RunAsync(Gen.Select(Batch(), SenmlPack(), CsvFile(), Damage), 400, runs =>
        {
            foreach (var (batch, senml, csv, damage) in runs)
            {
                foreach (var (codec, body) in new[] { (codecs[0], Envelope(batch, damage)), (codecs[1], senml.Body), (codecs[2], csv.Body) })
                {
                    if (Decoded(codec, body) is null)
                    {
                        continue;
                    }
                    using var document = codec.Decode(body, new CodecContext { Profile = Profile });
                    foreach (var message in document.RootElement.GetProperty("messages").EnumerateArray())
                    {
                        var verdict = Spec.Validator.Validate(message, context);
                        Assert.True(verdict.IsValid || verdict.Findings.Count > 0, Printable(body));
                    }
                }
            }
            return Task.CompletedTask;
        });
    }

    [Fact]
    public async Task CanonicalJson_OverHttp_EveryMessageIsAnsweredOnItsOwn()
    {
        using var adapter = await AdapterAsync("fuzz-json");
        await RunAsync(Gen.Select(Batch(), Damage), 120, async runs =>
        {
            foreach (var (batch, damage) in runs)
            {
                await PostAndJudgeAsync(adapter, new CanonicalJsonCodec(), "application/json", Envelope(batch, damage), Goods(batch));
            }
        });
        await AssertTheHubStillServesAsync(adapter);
    }

    private static byte[] Envelope(Case[] batch, (int Kind, int N) damage)
    {
        byte[] body = [.. U8("{\"messages\":["), .. batch.SelectMany((c, i) => i == 0 ? c.Json : [(byte)',', .. c.Json]), .. U8("]}")];
        return damage.Kind switch
        {
            1 => body[..Math.Max(1, body.Length - damage.N)],
            2 => [.. U8("{\"messages\":"), .. U8(new string('[', damage.N)), .. U8(new string(']', damage.N)), (byte)'}'],
            3 => [.. body[..^1], .. U8(",\"messages\":[]}")],
            4 => [(byte)'[', .. body, (byte)']'],
            _ => body,
        };
    }

    private static HashSet<string> Goods(IEnumerable<Case> cases) => [.. cases.Where(c => c.Good).Select(c => c.MessageId!)];

    // SenML: good records of ch4-1 at instants of their own; bad ones of ch4-2, each setting every base field it could
    // leave behind, with one field replaced by anything.
    private sealed record Pack(byte[] Body, HashSet<string> Good);

    private Gen<Pack> SenmlPack() => Gen.Select(
        Gen.Select(Gen.OneOf("bt", "t", "v", "bv", "u", "bu", "vs", "s", "ut", "x", "n", "bn", "bver", "crc_"), NastyValue).Array[1, 4],
        Gen.Int[1, 3],
        (bad, good) =>
        {
            var now = Hub.Time.GetUtcNow().ToUnixTimeSeconds();
            var records = new List<byte[]>();
            for (var i = 0; i < good; i++)
            {
                records.Add(U8($$"""{"bn":"ch4-1:","bt":{{now - 600 - Interlocked.Increment(ref _ids)}},"bv":0,"bs":0,"bu":"%{LEL}","n":"ch4","u":"%{LEL}","v":3}"""));
            }
            for (var i = 0; i < bad.Length; i++)
            {
                var (field, nasty) = bad[i];
                var fields = new Dictionary<string, byte[]>
                {
                    ["bn"] = U8("\"ch4-2:\""), ["bt"] = U8((now - 30 - i).ToString(CultureInfo.InvariantCulture)), ["bv"] = U8("0"), ["bs"] = U8("0"),
                    ["bu"] = U8("\"%{LEL}\""), ["n"] = U8("\"ch4\""), ["v"] = U8("3"),
                };
                fields[field] = nasty;
                records.Add([(byte)'{', .. fields.SelectMany((f, j) => (byte[])[.. U8(j == 0 ? "\"" : ",\""), .. U8(f.Key), .. U8("\":"), .. f.Value]), (byte)'}']);
            }
            byte[] body = [(byte)'[', .. records.SelectMany((r, i) => i == 0 ? r : [(byte)',', .. r]), (byte)']'];
            // The good records' messages, as the codec names them (ids derive from device and instant).
            var goodOnly = records.Take(good).SelectMany((r, i) => i == 0 ? r : [(byte)',', .. r]);
            return new Pack(body, [.. Decoded(new SenmlJsonCodec(Hub.Time), [(byte)'[', .. goodOnly, (byte)']'])!.Select(id => id!)]);
        });

    [Fact]
    public async Task Senml_OverHttp_EveryMessageIsAnsweredOnItsOwn()
    {
        using var adapter = await AdapterAsync("fuzz-senml");
        await RunAsync(SenmlPack(), 100, async packs =>
        {
            foreach (var pack in packs)
            {
                await PostAndJudgeAsync(adapter, new SenmlJsonCodec(Hub.Time), $"application/senml+json; profile={Profile}", pack.Body, pack.Good);
            }
        });
        await AssertTheHubStillServesAsync(adapter);
    }

    /// <summary>A CSV field: any bytes, quoted where they need it, or the damage of an unclosed quote.</summary>
    private static readonly Gen<byte[]> CsvField = Gen.OneOf(
        Gen.OneOf(NotUtf8).Select(b => (byte[])[.. U8("x"), .. b]),
        Gen.OneOf(Numbers).Select(U8),
        Gen.Int[100, 20_000].Select(n => U8(new string('x', n))),
        Gen.OneOf("\"a,b\"", "\"x\"\"y\"", "\"line\nbreak\"", "", " ", "true", "NaN", "Infinity", "\"unclosed").Select(U8));

    private Gen<Pack> CsvFile() => Gen.Select(
        Gen.Select(Gen.OneOf("metric", "value", "unit", "timestamp", "device_id"), CsvField).Array[1, 4],
        Gen.Int[1, 3],
        (bad, good) =>
        {
            var now = Hub.Time.GetUtcNow().ToUnixTimeSeconds();
            var rows = new List<byte[]> { U8("device_id,timestamp,metric,value,unit\n") };
            for (var i = 0; i < good; i++)
            {
                rows.Add(U8($"ch4-1,{now - 600 - Interlocked.Increment(ref _ids)},ch4,3,%LEL\n"));
            }
            for (var i = 0; i < bad.Length; i++)
            {
                var (column, field) = bad[i];
                byte[] Cell(string name, string value) => name == column ? field : U8(value);
                rows.Add([.. Cell("device_id", "ch4-2"), (byte)',', .. Cell("timestamp", (now - 30 - i).ToString(CultureInfo.InvariantCulture)), (byte)',',
                    .. Cell("metric", "ch4"), (byte)',', .. Cell("value", "3"), (byte)',', .. Cell("unit", "%LEL"), (byte)'\n']);
            }
            var goodOnly = rows.Take(good + 1).SelectMany(r => r).ToArray();
            return new Pack([.. rows.SelectMany(r => r)], [.. Decoded(new VendorCsvCodec(), goodOnly)!.Select(id => id!)]);
        });

    [Fact]
    public async Task Csv_OverHttp_EveryMessageIsAnsweredOnItsOwn()
    {
        using var adapter = await AdapterAsync("fuzz-csv");
        await RunAsync(CsvFile(), 100, async files =>
        {
            foreach (var file in files)
            {
                await PostAndJudgeAsync(adapter, new VendorCsvCodec(), $"text/csv; profile={Profile}", file.Body, file.Good);
            }
        });
        await AssertTheHubStillServesAsync(adapter);
    }

    /// <summary>
    /// Four connections of one adapter publish good and fuzzed messages at once, so that group commits mix them:
    /// every good publish is acknowledged and stored, every bad one answered, and no connection is closed.
    /// </summary>
    [Fact]
    public async Task Mqtt_OneGroup_GoodPublishesAreUnaffectedByTheirNeighbours()
    {
        var org = HubFixture.Unique("fuzz-mqtt");
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(org);
        var (id, secret) = await admin.CreateAdapterAsync(org, org + "-adapter");
        await admin.RegisterDeviceAsync(id, "ch4-1");
        await admin.RegisterDeviceAsync(id, "ch4-2");
        var token = await Hub.TokenAsync(id, secret);
        var clients = new List<IMqttClient>();
        for (var i = 0; i < 4; i++)
        {
            var client = new MqttClientFactory().CreateMqttClient();
            await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort).WithProtocolVersion(i % 2 == 0 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311)
                .WithClientId(HubFixture.Unique("fuzz")).WithCredentials(id, token).WithTimeout(Timeout).Build(), TestContext.Current.CancellationToken);
            clients.Add(client);
        }
        var stored = 0;

        await RunAsync(Gen.Frequency<Case>((2, Bad()), (1, Gen.Const(0).Select(_ => Good()))).Array[20, 40].Array[4], 1, async runs =>
        {
            var streams = runs[0];
            await Task.WhenAll(streams.Select(async (stream, c) =>
            {
                foreach (var message in stream)
                {
                    var publish = new MqttApplicationMessageBuilder().WithTopic($"hub/v1/ingest/{id}").WithPayload(message.Json).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
                    var ack = await clients[c].PublishAsync(publish, TestContext.Current.CancellationToken);
                    Assert.True(ack.ReasonCode is not (MqttClientPublishReasonCode.ImplementationSpecificError or MqttClientPublishReasonCode.UnspecifiedError), $"{ack.ReasonCode} {ack.ReasonString} for {message}");
                    Assert.True(!message.Good || ack.ReasonCode == MqttClientPublishReasonCode.Success, $"good message {message.MessageId}: {ack.ReasonCode} {ack.ReasonString}");
                }
            }));
            stored = streams.Sum(s => s.Count(m => m.Good));
            // Every good message is stored, and every connection is still up.
            var goods = streams.SelectMany(s => s.Where(m => m.Good).Select(m => m.MessageId)).ToList();
            Assert.Equal(goods.Count, await Hub.QueryAsync(db => db.Messages.CountAsync(m => m.AdapterId == id && goods.Contains(m.MessageId))));
            await Task.WhenAll(clients.Select(c => c.PingAsync(TestContext.Current.CancellationToken)));
        });
        Assert.True(stored > 0);
        foreach (var client in clients)
        {
            await client.DisconnectAsync(cancellationToken: TestContext.Current.CancellationToken);
            client.Dispose();
        }
    }

    /// <summary>The hub still answers a good batch, and pages through everything it quarantined, whatever that holds.</summary>
    private async Task AssertTheHubStillServesAsync(HttpClient adapter)
    {
        var good = Good();
        using var response = await adapter.PostTelemetryAsync([.. U8("{\"messages\":["), .. good.Json, .. U8("]}")]);
        Assert.Equal(1, (await response.ShouldBeAsync(HttpStatusCode.OK))["accepted"]!.GetValue<int>());
        string? cursor = null;
        do
        {
            var page = await adapter.GetJsonAsync("/v1/quarantine?limit=100" + (cursor is null ? "" : "&cursor=" + cursor));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);
    }
}
