using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;

namespace IntegrationHub.Cli.Tests;

/// <summary>
/// <c>ihub certify</c> against a running hub, with the reference simulator as the vendor (<c>--vendor-command</c>):
/// it passes, and each deliberately broken variant fails with the requirements it breaks. Then <c>ihub verify</c>.
/// </summary>
public sealed class CertifyCommandTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task Certify_SimulatorAsVendor_Passes_CertifiesTheAdapter_AndTheSignedReportVerifies()
    {
        var (adapter, output, run) = await CertifyAsync("certify-pass", null);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("threshold step: device", run.Output, StringComparison.Ordinal);
        Assert.Contains("messages received:", run.Output, StringComparison.Ordinal);
        Assert.Contains("Certification PASSED", run.Output, StringComparison.Ordinal);
        Assert.Equal("certified", await Vendor.StatusAsync(Hub, adapter));
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "report.json")))!;
        Assert.True(report["passed"]!.GetValue<bool>());
        Assert.Equal(adapter, report["adapterId"]!.GetValue<string>());
        Assert.Equal(["core-http", "profile:" + Vendor.Profile], report["classes"]!.AsArray().Select(c => c!["id"]!.GetValue<string>()));
        Assert.Contains("failures=\"0\"", File.ReadAllText(Path.Combine(output, "report.junit.xml")), StringComparison.Ordinal);
        var html = File.ReadAllText(Path.Combine(output, "report.html"));
        Assert.Contains("PASSED", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);

        // Offline, with the JWKS saved beside the report; and from the hub.
        var verified = await Cli.RunAsync("verify", Path.Combine(output, "report.json"), "--jwks", Path.Combine(output, "jwks.json"));
        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.Contains("VALID", verified.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await Cli.RunAsync("verify", Path.Combine(output, "report.jws"), "--hub", Hub.BaseAddress.ToString())).ExitCode);

        // A report changed after signing does not verify: the JSON beside the JWS, or the JWS's own payload.
        var tampered = Cli.TempDirectory();
        File.Copy(Path.Combine(output, "jwks.json"), Path.Combine(tampered, "jwks.json"));
        File.WriteAllText(Path.Combine(tampered, "report.json"), File.ReadAllText(Path.Combine(output, "report.json")).Replace(adapter, "someone-else", StringComparison.Ordinal));
        File.Copy(Path.Combine(output, "report.jws"), Path.Combine(tampered, "report.jws"));
        var changedJson = await Cli.RunAsync("verify", Path.Combine(tampered, "report.json"), "--jwks", Path.Combine(tampered, "jwks.json"));
        Assert.True(changedJson.ExitCode == 1, changedJson.ToString());
        var parts = File.ReadAllText(Path.Combine(output, "report.jws")).Split('.');
        var payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])).Replace("\"passed\": true", "\"passed\": false", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(tampered, "forged.jws"), $"{parts[0]}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload))}.{parts[2]}");
        var forged = await Cli.RunAsync("verify", Path.Combine(tampered, "forged.jws"), "--jwks", Path.Combine(tampered, "jwks.json"));
        Assert.True(forged.ExitCode == 1, forged.ToString());
        Assert.Contains("INVALID", forged.Output, StringComparison.Ordinal);
        Assert.Equal(2, (await Cli.RunAsync("verify", Path.Combine(output, "report.jws"))).ExitCode);
    }

    [Fact]
    public async Task Certify_CoreMqtt_SimulatorSendsOverMqtt_AndPasses()
    {
        var (adapter, output, run) = await CertifyAsync("certify-mqtt", null, "core-mqtt");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("over MQTT", run.Output, StringComparison.Ordinal);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "report.json")))!;
        Assert.Equal(["core-mqtt", "profile:" + Vendor.Profile], report["classes"]!.AsArray().Select(c => c!["id"]!.GetValue<string>()));
        Assert.True(report["arrivals"]!["mqtt.accepted"]!.GetValue<int>() >= 6);
        // The default required classes are core-http and the profile: MQTT alone does not certify.
        Assert.Equal("sandbox", await Vendor.StatusAsync(Hub, adapter));
    }

    [Theory]
    [InlineData("wrong-units", new[] { "CERT-002", "CERT-003", "CERT-006", "CERT-007" })]
    [InlineData("late-clock", new[] { "CERT-003", "CERT-004" })]
    [InlineData("duplicates", new[] { "CERT-003", "CERT-005" })]
    [InlineData("missing-fields", new[] { "CERT-001", "CERT-003", "CERT-006", "CERT-007" })]
    [InlineData("silence", new[] { "CERT-003", "CERT-006", "CERT-007" })]
    public async Task Certify_BrokenSimulator_FailsWithTheRequirementsItBreaks(string fault, string[] requirements)
    {
        var (adapter, output, run) = await CertifyAsync("certify-" + fault, fault, alarmExpected: !requirements.Contains("CERT-006"));

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("Certification FAILED", run.Output, StringComparison.Ordinal);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "report.json")))!;
        var failed = report["classes"]!.AsArray().SelectMany(c => c!["checks"]!.AsArray()).Where(c => !c!["passed"]!.GetValue<bool>())
            .Select(c => c!["requirement"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray();
        Assert.True(requirements.SequenceEqual(failed), $"expected [{string.Join(", ", requirements)}], failed [{string.Join(", ", failed)}]\n{run.Output}");
        Assert.All(report["classes"]!.AsArray().SelectMany(c => c!["checks"]!.AsArray()).SelectMany(c => c!["findings"]!.AsArray()),
            f => Assert.False(string.IsNullOrEmpty(f!["hint"]?.GetValue<string>()), f.ToJsonString()));
        Assert.Equal("sandbox", await Vendor.StatusAsync(Hub, adapter));
        Assert.Contains("<failure", File.ReadAllText(Path.Combine(output, "report.junit.xml")), StringComparison.Ordinal);
        Assert.Equal(0, (await Cli.RunAsync("verify", Path.Combine(output, "report.json"), "--jwks", Path.Combine(output, "jwks.json"))).ExitCode);
    }

    [Fact]
    public async Task Certify_BadTargetsAndCredentials_ExitWithThree_BadUsageWithTwo()
    {
        var (adapter, _) = await Vendor.CreateAsync(Hub, "certify-usage", ["u-ch4-1"]);
        var wrongSecret = await Cli.RunAsync(new Dictionary<string, string> { ["IHUB_CLIENT_SECRET"] = "not-the-secret" },
            "certify", "--hub", Hub.BaseAddress.ToString(), "--client-id", adapter, "--profile", Vendor.Profile, "--device", "u-ch4-1", "--out", Cli.TempDirectory());
        Assert.True(wrongSecret.ExitCode == 3, wrongSecret.ToString());
        var closed = await Cli.RunAsync(new Dictionary<string, string> { ["IHUB_CLIENT_SECRET"] = "x" },
            "certify", "--hub", $"http://127.0.0.1:{FreePort.Next()}", "--client-id", adapter, "--profile", Vendor.Profile, "--device", "u-ch4-1", "--out", Cli.TempDirectory());
        Assert.True(closed.ExitCode == 3, closed.ToString());
        Assert.Equal(2, (await Cli.RunAsync("certify", "--profile", Vendor.Profile)).ExitCode);
        Assert.Equal(2, (await Cli.RunAsync("certify", "--hub", Hub.BaseAddress.ToString(), "--profile", "no.such-profile", "--client-id", adapter)).ExitCode);
        Assert.Equal(2, (await Cli.RunAsync("certify", "--hub", Hub.BaseAddress.ToString(), "--profile", Vendor.Profile, "--class", "core-carrier-pigeon")).ExitCode);
    }

    /// <summary>
    /// A new vendor with one methane device, certified by <c>ihub certify</c> running the simulator as the vendor. When the
    /// threshold step is expected to raise an alert, the CLI waits up to 20 s for it (the engine runs after the durable write,
    /// and a loaded machine is slow); otherwise only 2 s.
    /// </summary>
    private async Task<(string Adapter, string Output, ToolResult Run)> CertifyAsync(string prefix, string? fault, string coreClass = "core-http", bool alarmExpected = true)
    {
        var device = HubFixture.Unique(prefix) + "-ch4";
        var (adapter, secret) = await Vendor.CreateAsync(Hub, prefix, [device]);
        var output = Cli.TempDirectory();
        // The hub's clock is a test clock that stands still; it is set to now so that clock-skew checks see real time.
        Hub.Time.SetUtcNow(DateTimeOffset.UtcNow);
        var vendor = $"dotnet \"{Cli.Simulator}\" --hub {Hub.BaseAddress} --client-id {adapter} --certification \"{{session}}\" --mqtt-broker mqtt://127.0.0.1:{Hub.MqttPort}"
            + (fault is null ? "" : $" --fault {fault}");
        var run = await Cli.RunAsync(new Dictionary<string, string> { ["IHUB_CLIENT_SECRET"] = secret },
            "certify", "--hub", Hub.BaseAddress.ToString(), "--client-id", adapter, "--profile", Vendor.Profile, "--device", device,
            "--class", coreClass, "--interval", "1", "--duration", "6", "--grace", alarmExpected ? "20" : "2", "--out", output, "--vendor-command", vendor);
        return (adapter, output, run);
    }
}
