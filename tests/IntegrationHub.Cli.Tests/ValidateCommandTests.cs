using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace IntegrationHub.Cli.Tests;

/// <summary><c>ihub validate</c> as a process: the manifest's verdicts, the hub's verdicts, exit codes and output.</summary>
public sealed class ValidateCommandTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private static readonly string Examples = Path.Combine(Cli.Specs, "examples");

    private static readonly string[] Registration = ["device.unregistered", "device.wrong-adapter", "profile.mismatch"];

    private HubFactory Hub => fixture.Hub;

    private static JsonArray Manifest => JsonNode.Parse(File.ReadAllText(Path.Combine(Examples, "manifest.json")))!["examples"]!.AsArray();

    [Fact]
    public async Task Validate_EveryJsonExample_GetsItsManifestVerdict()
    {
        // JSON documents only: CAP XML has its XSD test, and the CLI reads no CSV (the hub's codec test judges those examples).
        var entries = Manifest.Where(e => e!["file"]!.GetValue<string>().EndsWith(".json", StringComparison.Ordinal)).ToList();
        Assert.True(entries.Count > 100, "the manifest should list the spec's examples");
        var checkedFiles = 0;
        foreach (var group in entries.GroupBy(e => e!["schema"]!.GetValue<string>()))
        {
            var files = group.Select(e => Path.GetFullPath(Path.Combine(Examples, e!["file"]!.GetValue<string>()))).ToArray();
            var output = Path.Combine(Cli.TempDirectory(), "results.json");
            // Telemetry messages get the hub's full judgement (schema, then profile); every other document its schema.
            // The examples' times are in late 2026: the clock is fixed, as in the spec's own example tests.
            string[] mode = group.Key == "telemetry-message" ? ["--now", "2026-11-28T12:00:00+08:00"] : ["--schema", group.Key];
            var run = await Cli.RunAsync(["validate", .. files, .. mode, "--json", output]);
            var results = Results(output);
            Assert.Equal(group.All(e => e!["valid"]!.GetValue<bool>()) ? 0 : 1, run.ExitCode);
            foreach (var (entry, file) in group.Zip(files))
            {
                var expected = (entry!["errors"]?.AsArray() ?? []).Select(e => $"{e!["code"]} {e["pointer"]}").Order().ToArray();
                var actual = results[file].Findings;
                Assert.True(expected.SequenceEqual(actual), $"{entry["file"]}: expected [{string.Join(", ", expected)}], the CLI found [{string.Join(", ", actual)}]");
                Assert.Equal(entry["valid"]!.GetValue<bool>(), results[file].Valid);
                checkedFiles++;
            }
        }
        Assert.Equal(entries.Count, checkedFiles);
    }

    [Fact]
    public async Task Validate_TelemetryExamples_AgreeWithTheHub()
    {
        var telemetry = Manifest.Where(e => e!["schema"]!.GetValue<string>() is "telemetry-message" or "telemetry-batch")
            .Select(e => Path.GetFullPath(Path.Combine(Examples, e!["file"]!.GetValue<string>()))).ToArray();
        var senml = Manifest.Where(e => e!["schema"]!.GetValue<string>() == "senml")
            .Select(e => Path.GetFullPath(Path.Combine(Examples, e!["file"]!.GetValue<string>()))).ToArray();

        // The hub also checks registration; the examples' devices are registered, each with its profile.
        var devices = telemetry.SelectMany(f => Messages(JsonNode.Parse(File.ReadAllText(f))))
            .Select(m => (Device: m["deviceId"]?.GetValue<string>(), Profile: m["profile"]?.GetValue<string>()))
            .Where(d => d.Device is not null && d.Profile is not null).Select(d => (Device: d.Device!, Profile: d.Profile!))
            .Append((Device: "ch4-shinan-0001", Profile: "gas.underground-methane")).ToList();
        var (adapterId, secret) = await Vendor.CreateAsync(Hub, "validate", []);
        using (var admin = await Vendor.AdminAsync(Hub))
        {
            foreach (var (device, profile) in devices.DistinctBy(d => d.Device))
            {
                using var registered = await admin.PostAsJsonAsync($"/v1/adapters/{adapterId}/devices", new { deviceId = device, profile, district = "370202", location = new { lon = 120.38, lat = 36.07 } });
                // Examples of unknown profiles cannot be registered; the hub then finds the profile unknown first, as the CLI does.
                Assert.True(registered.StatusCode is HttpStatusCode.Created or HttpStatusCode.BadRequest, await registered.Content.ReadAsStringAsync());
            }
        }
        using var client = Hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(client, adapterId, secret));

        var output = Path.Combine(Cli.TempDirectory(), "telemetry.json");
        // The CLI judges times by the hub's (test) clock, as the hub does.
        var now = Hub.Time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        await Cli.RunAsync(["validate", .. telemetry, "--now", now, "--json", output]);
        var cli = Results(output);
        var senmlOutput = Path.Combine(Cli.TempDirectory(), "senml.json");
        await Cli.RunAsync(["validate", .. senml, "--format", "senml", "--profile", "gas.underground-methane", "--now", now, "--json", senmlOutput]);
        foreach (var (file, result) in Results(senmlOutput))
        {
            cli[file] = result;
        }

        foreach (var file in telemetry.Concat(senml))
        {
            var body = File.ReadAllText(file);
            var isSenml = senml.Contains(file);
            var node = JsonNode.Parse(body)!;
            // A lone message is sent as a batch of one, so the hub's pointers gain /messages/0.
            var lone = !isSenml && node is JsonObject o && !o.ContainsKey("messages");
            var payload = lone ? new JsonObject { ["messages"] = new JsonArray(node.DeepClone()) }.ToJsonString() : body;
            using var response = await client.PostAsync(new Uri("/v1/telemetry", UriKind.Relative),
                new StringContent(payload, Encoding.UTF8, MediaTypeHeaderValue.Parse(isSenml ? "application/senml+json; profile=gas.underground-methane" : "application/json")));
            var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            var hub = (answer["results"] is JsonArray results
                    ? results.SelectMany(r => r!["errors"]?.AsArray() ?? [])
                    : answer["errors"]?.AsArray() ?? [new JsonObject { ["code"] = answer["code"]!.GetValue<string>(), ["pointer"] = "" }])
                // Registration is the hub's alone: an example device registered with another profile is a mismatch only there.
                .Where(e => !Registration.Contains(e!["code"]!.GetValue<string>()))
                .Select(e => $"{e!["code"]} {(lone ? e["pointer"]!.GetValue<string>()["/messages/0".Length..] : e["pointer"]!.GetValue<string>())}").Order().ToArray();
            Assert.True(hub.SequenceEqual(cli[file].Findings), $"{Path.GetRelativePath(Examples, file)}: the hub found [{string.Join(", ", hub)}], the CLI [{string.Join(", ", cli[file].Findings)}]");
        }
    }

    [Fact]
    public async Task Validate_Findings_CarryRequirementCodePointerAndHint_AndExitCodesTellCi()
    {
        var invalid = Path.Combine(Examples, "telemetry-message", "invalid", "quantity-without-unit.json");
        var run = await Cli.RunAsync("validate", invalid, "--profile", "gas.underground-methane");
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("/observations/0/unit  message.missing-field  [TEL-004", run.Output, StringComparison.Ordinal);
        Assert.Contains("fix: ", run.Output, StringComparison.Ordinal);

        var output = Path.Combine(Cli.TempDirectory(), "out.json");
        var valid = await Cli.RunAsync("validate", Path.Combine(Examples, "telemetry-message", "valid"), "--json", output);
        Assert.True(valid.ExitCode == 0, valid.ToString());
        Assert.True(JsonNode.Parse(File.ReadAllText(output))!["valid"]!.GetValue<bool>());

        var report = Path.Combine(Cli.TempDirectory(), "invalid.json");
        await Cli.RunAsync("validate", invalid, "--json", report);
        var finding = JsonNode.Parse(File.ReadAllText(report))!["files"]![0]!["findings"]![0]!;
        Assert.Equal("message.missing-field", finding["code"]!.GetValue<string>());
        Assert.Equal("/observations/0/unit", finding["pointer"]!.GetValue<string>());
        Assert.StartsWith("TEL-", finding["requirement"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(finding["hint"]?.GetValue<string>()));

        Assert.Equal(2, (await Cli.RunAsync("validate", Path.Combine(Cli.TempDirectory(), "missing.json"))).ExitCode);
        Assert.Equal(2, (await Cli.RunAsync("validate", invalid, "--no-such-option")).ExitCode);
        Assert.Equal(2, (await Cli.RunAsync("validate", invalid, "--profile", "no.such-profile")).ExitCode);
        Assert.Equal(2, (await Cli.RunAsync("validate")).ExitCode);
        foreach (var command in new[] { "validate", "spec", "certify", "verify" })
        {
            var help = await Cli.RunAsync(command, "--help");
            Assert.True(help.ExitCode == 0, help.ToString());
            Assert.Contains("Exit codes", help.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Validate_ValuesAtTheSchemasEdges_GetTheVerdictOfJsonSchema()
    {
        // The spec's invalid examples hold the refusals (a final newline, 1e4294967296, 80 code points of flags); these
        // are what JSON Schema 2020-12 accepts: a tiny number within every bound, a string of exactly 64 code points.
        var minimal = File.ReadAllText(Path.Combine(Examples, "telemetry-message", "valid", "minimal.json")).TrimEnd().TrimEnd('}');
        var folder = Cli.TempDirectory();
        var tiny = Path.Combine(folder, "tiny-latitude.json");
        File.WriteAllText(tiny, minimal + """, "location": { "lon": 120.38, "lat": 1e-4294967206 } }""");
        var accents = Path.Combine(folder, "accented-fault.json");
        File.WriteAllText(accents, minimal + """, "status": { "faults": [ """ + JsonValue.Create(string.Concat(Enumerable.Repeat("e\u0301", 32))).ToJsonString() + " ] } }");
        var output = Path.Combine(folder, "results.json");

        var run = await Cli.RunAsync("validate", tiny, accents, "--now", "2026-11-28T12:00:00+08:00", "--json", output);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.All(Results(output).Values, result => Assert.Equal((true, 0), (result.Valid, result.Findings.Length)));
    }

    private static IEnumerable<JsonNode> Messages(JsonNode? root) => root switch
    {
        JsonObject o when o["messages"] is JsonArray list => list.OfType<JsonObject>(),
        JsonObject o => [o],
        _ => [],
    };

    private static async Task<string> TokenAsync(HttpClient client, string id, string secret)
    {
        using var response = await client.PostAsync(new Uri("/connect/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret,
        }));
        return (await Vendor.Json(response, HttpStatusCode.OK))["access_token"]!.GetValue<string>();
    }

    /// <summary>The CLI's JSON results by full path: validity and the findings as "code pointer", sorted.</summary>
    private static Dictionary<string, (bool Valid, string[] Findings)> Results(string output) =>
        JsonNode.Parse(File.ReadAllText(output))!["files"]!.AsArray().ToDictionary(
            f => Path.GetFullPath(f!["path"]!.GetValue<string>()),
            f => (f!["valid"]!.GetValue<bool>(), f["findings"]!.AsArray().Select(x => $"{x!["code"]} {x["pointer"]}").Order().ToArray()));
}
