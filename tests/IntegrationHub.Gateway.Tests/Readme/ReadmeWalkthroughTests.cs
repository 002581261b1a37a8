using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace IntegrationHub.Gateway.Tests.Readme;

/// <summary>
/// The README's five-minute walkthrough, run as written: the hub started with the README's command in a fresh
/// directory, then every bash block of the walkthrough executed in order with curl and jq.
/// </summary>
public sealed partial class ReadmeWalkthroughTests
{
    [Fact]
    public async Task Walkthrough_RunsAsWritten_OnAFreshHub()
    {
        var directory = Directory.CreateTempSubdirectory("ihub-readme-").FullName;
        var data = Path.Combine(directory, "data");
        await using var hub = await HubProcess.StartAsync(directory, new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development", ["Hub__DataDirectory"] = data });
        var script = "set -euo pipefail\n" + string.Join("\n", WalkthroughBlocks(await File.ReadAllTextAsync(Path.Combine(Repository.Root, "README.md"))));

        var (exitCode, output) = await RunBashAsync(script, directory, new Dictionary<string, string> { ["HUB"] = hub.BaseAddress.ToString().TrimEnd('/'), ["DATA"] = data });

        Assert.True(exitCode == 0, $"the walkthrough failed ({exitCode}):\n{output}\n--- hub ---\n{hub.Output}");
        var result = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "result.json")))!;
        Assert.Equal("accepted", result["results"]![0]!["status"]!.GetValue<string>());
        Assert.Equal("unit.unknown", result["results"]![1]!["code"]!.GetValue<string>());
        Assert.Equal("/messages/1/observations/0/unit", result["results"]![1]!["pointer"]!.GetValue<string>());
        var latest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "latest.json")))!["items"]![0]!;
        Assert.Equal(12, latest["value"]!.GetValue<double>());
        Assert.Equal("%{LEL}", latest["unit"]!.GetValue<string>());
        var quarantined = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "quarantine.json")))!["items"]![0]!;
        Assert.Equal("m-0002", quarantined["messageId"]!.GetValue<string>());
        Assert.Equal("unit.unknown", quarantined["errors"]![0]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Readme_OpensWithTheTwoCommands()
    {
        var blocks = CodeBlock().Matches(await File.ReadAllTextAsync(Path.Combine(Repository.Root, "README.md"))).Select(m => m.Groups["code"].Value.Trim()).ToList();

        Assert.Equal("dotnet run --project src/Gateway", blocks[0]);
        Assert.Equal("./test.sh", blocks[1]);
        Assert.Contains("./test.sh", await File.ReadAllTextAsync(Path.Combine(Repository.Root, ".ci", "run")), StringComparison.Ordinal);
    }

    private static List<string> WalkthroughBlocks(string readme)
    {
        var start = readme.IndexOf("## Five-minute walkthrough", StringComparison.Ordinal);
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var section = readme[start..end];
        var blocks = CodeBlock().Matches(section).Select(m => m.Groups["code"].Value).ToList();
        Assert.True(blocks.Count >= 6, "the walkthrough should have a bash block per step");
        return blocks;
    }

    private static async Task<(int ExitCode, string Output)> RunBashAsync(string script, string workingDirectory, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = workingDirectory, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-s");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(script);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex("```bash\\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
