using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace IntegrationHub.Cli.Tests;

/// <summary><c>ihub certify --pull</c> against a vendor platform's pull endpoint, served here by a small real web server.</summary>
public sealed class PullCommandTests : IAsyncLifetime
{
    private WebApplication? _vendor;
    private string _base = "";

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _vendor = builder.Build();
        var now = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var good = new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject
            {
                ["messageId"] = "p-1", ["deviceId"] = "ch4-1", ["profile"] = "gas.underground-methane", ["time"] = now,
                ["observations"] = new JsonArray(new JsonObject { ["metric"] = "ch4", ["value"] = 1.5, ["unit"] = "%{LEL}" }),
            }),
        }.ToJsonString();
        var wrongUnit = good.Replace("%{LEL}", "kg", StringComparison.Ordinal);
        _vendor.MapGet("/good/telemetry/latest", () => Results.Text(good, "application/json"));
        _vendor.MapGet("/wrong-unit/telemetry/latest", () => Results.Text(wrongUnit, "application/json"));
        _vendor.MapGet("/text/telemetry/latest", () => Results.Text("[1, 2]", "text/plain"));
        _vendor.MapGet("/down/telemetry/latest", () => Results.StatusCode(503));
        await _vendor.StartAsync();
        _base = _vendor.Urls.First();
    }

    public async ValueTask DisposeAsync()
    {
        if (_vendor is not null)
        {
            await _vendor.DisposeAsync();
        }
    }

    [Fact]
    public async Task Pull_ACanonicalBatch_Passes()
    {
        var output = Cli.TempDirectory();
        var run = await Cli.RunAsync("certify", "--pull", _base + "/good", "--profile", "gas.underground-methane", "--out", output);
        Assert.True(run.ExitCode == 0, run.ToString());
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "report.json")))!;
        Assert.Equal("pull-endpoint", report["kind"]!.GetValue<string>());
        Assert.Equal("pull-http", report["classes"]![0]!["id"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(output, "report.html")));
        Assert.False(File.Exists(Path.Combine(output, "report.jws")));
    }

    [Theory]
    [InlineData("wrong-unit", "unit.unknown")]
    [InlineData("text", "certification.pull-failed")]
    [InlineData("down", "certification.pull-failed")]
    public async Task Pull_BrokenEndpoint_FailsWithCert010(string variant, string code)
    {
        var output = Cli.TempDirectory();
        var run = await Cli.RunAsync("certify", "--pull", $"{_base}/{variant}", "--profile", "gas.underground-methane", "--out", output);
        Assert.True(run.ExitCode == 1, run.ToString());
        var findings = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "report.json")))!["classes"]![0]!["checks"]!.AsArray()
            .SelectMany(c => c!["findings"]!.AsArray()).ToList();
        Assert.Contains(findings, f => f!["code"]!.GetValue<string>() == code && f["requirement"]!.GetValue<string>() == "CERT-010");
    }

    [Fact]
    public async Task Pull_Unreachable_ExitsWithThree()
    {
        var run = await Cli.RunAsync("certify", "--pull", $"http://127.0.0.1:{FreePort.Next()}", "--profile", "gas.underground-methane", "--out", Cli.TempDirectory());
        Assert.True(run.ExitCode == 3, run.ToString());
    }
}
