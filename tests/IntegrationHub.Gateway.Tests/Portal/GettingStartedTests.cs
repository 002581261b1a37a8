using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using IntegrationHub.Client.Telemetry;
using IntegrationHub.Gateway.Tests.Infrastructure;
using IntegrationHub.Portal.Docs;
using IntegrationHub.Portal.Snippets;

namespace IntegrationHub.Gateway.Tests.Portal;

/// <summary>
/// The getting-started examples of /docs work as written: the shell blocks, copied from the page, run in order with
/// curl, jq and mosquitto_pub against a hub; the C# example is the file these tests compile and run.
/// </summary>
public sealed partial class GettingStartedTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task ShellExamples_RunAsWritten_AgainstTheHub()
    {
        var (clientId, secret) = await AdapterWithDeviceAsync("docs-shell");
        using var client = Hub.As(null);
        var blocks = Blocks(await client.GetStringAsync(new Uri("/docs", UriKind.Relative)));

        // The page's settings block names placeholders; the hub's address in it must be this hub's.
        Assert.Contains($"HUB={Hub.BaseAddress.ToString().TrimEnd('/')}", blocks["settings"], StringComparison.Ordinal);
        var script = string.Join("\n", "set -euo pipefail", blocks["settings"],
            $"CLIENT_ID={clientId}", $"CLIENT_SECRET='{secret}'",
            blocks["token"], blocks["post"], blocks["read-back"], blocks["mqtt-publish"],
            // What the MQTT message stored, read back like the HTTP one.
            """curl -sf -H "Authorization: Bearer $TOKEN" "$HUB/v1/telemetry/history?device=ch4-0001&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z" """);

        var (exitCode, output) = await RunBashAsync(script);

        Assert.True(exitCode == 0, $"the examples failed ({exitCode}):\n{script}\n---\n{output}");
        Assert.Contains("\"status\":\"accepted\"", output, StringComparison.Ordinal);
        Assert.Contains("\"value\":12", output, StringComparison.Ordinal);
        Assert.Contains("\"value\":3.2", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CSharpExample_RunsAgainstTheHub()
    {
        var (clientId, secret) = await AdapterWithDeviceAsync("docs-csharp");

        var (sent, latest) = await GettingStarted.RunAsync(Hub.BaseAddress.ToString().TrimEnd('/'), clientId, secret);

        Assert.Equal(MessageStatus.Accepted, sent.Status);
        var methane = Assert.Single(latest, o => o.Metric == "ch4");
        Assert.Equal(12, methane.Value?.Number);
        Assert.Equal("%{LEL}", methane.Unit);
    }

    [Fact]
    public async Task CSharpExample_OnThePage_IsTheCompiledSnippet()
    {
        using var client = Hub.As(null);
        var shown = Blocks(await client.GetStringAsync(new Uri("/docs", UriKind.Relative)))["csharp"];
        var source = GettingStartedExamples.Snippet("GettingStarted.cs");

        Assert.Contains(GettingStartedExamples.Region(source, "usings"), shown, StringComparison.Ordinal);
        Assert.Contains(GettingStartedExamples.Region(source, "body"), shown, StringComparison.Ordinal);
        Assert.Contains($"var hub = \"{Hub.BaseAddress.ToString().TrimEnd('/')}\";", shown, StringComparison.Ordinal);
    }

    private async Task<(string Id, string Secret)> AdapterWithDeviceAsync(string prefix)
    {
        var organization = HubFixture.Unique(prefix);
        using var admin = await Hub.AdminAsync();
        await admin.CreateOrganizationAsync(organization);
        var adapter = await admin.CreateAdapterAsync(organization, organization + "-adapter", ["gas.underground-methane"]);
        // The examples' device; device ids are unique per adapter.
        await admin.RegisterDeviceAsync(adapter.Id, "ch4-0001");
        return adapter;
    }

    private static Dictionary<string, string> Blocks(string html) =>
        Block().Matches(html).ToDictionary(m => m.Groups["id"].Value, m => WebUtility.HtmlDecode(m.Groups["code"].Value));

    private static async Task<(int ExitCode, string Output)> RunBashAsync(string script)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-s");
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(script);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex("<pre id=\"example-(?<id>[a-z-]+)\"><code[^>]*>(?<code>.*?)</code></pre>", RegexOptions.Singleline)]
    private static partial Regex Block();
}
