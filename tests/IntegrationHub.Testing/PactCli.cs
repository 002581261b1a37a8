using System.Text.RegularExpressions;

namespace IntegrationHub.Testing;

/// <summary>
/// The Pact CLI (@pact-foundation/pact-cli, pinned in tools/pact/package.json; test.sh runs <c>npm ci</c> there):
/// <c>pact verifier</c> replays the contracts in specs/contracts against a running hub, and <c>pact mock</c> serves
/// them to the SDK. A missing CLI fails the test with the command that installs it.
/// </summary>
public static partial class PactCli
{
    /// <summary>No usage tracking: CI has no network beyond the package registries, and tests should not phone home.</summary>
    internal static readonly Dictionary<string, string> Quiet = new() { ["PACT_DO_NOT_TRACK"] = "true" };

    public static string Contracts { get; } = Path.Combine(Repository.Root, "specs", "contracts");

    public static string Executable
    {
        get
        {
            var path = Path.Combine(Repository.Root, "tools", "pact", "node_modules", "@pact-foundation", "pact-cli-linux-x64", "standalone", "pact");
            return File.Exists(path) ? path : throw new FileNotFoundException($"The Pact CLI is not installed; run `npm ci` in {Path.Combine(Repository.Root, "tools", "pact")} (test.sh does).", path);
        }
    }

    /// <summary>Verifies the hub at <paramref name="provider"/> against a contract file; provider states come from <paramref name="stateChange"/>.</summary>
    public static Task<ToolResult> VerifyAsync(Uri provider, Uri stateChange, string contract) =>
        ToolProcess.RunAsync(Executable,
        [
            "verifier", "--file", contract, "--hostname", provider.Host, "--port", provider.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--state-change-url", stateChange.ToString(), "--provider-name", "IntegrationHub", "--no-colour", "--request-timeout", "30000",
        ], TimeSpan.FromMinutes(6), Quiet); // a hundred interactions, many raising alerts, on a machine CI shares with every other suite

    /// <summary>A <c>pact mock</c> master server on an ephemeral port, serving one mock server per contract file.</summary>
    public static async Task<PactMock> StartMockAsync()
    {
        var output = Directory.CreateTempSubdirectory("ihub-pact-").FullName;
        var (process, ready) = await ToolProcess.StartAsync(Executable, ["mock", "start", "--port", "0", "--host", "127.0.0.1", "--output", output, "--no-term-log", "--no-file-log"],
            MasterStarted(), TimeSpan.FromSeconds(30), Quiet);
        return new PactMock(process, int.Parse(ready.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"Master server started on port (?<port>\d+)")]
    private static partial Regex MasterStarted();

    [GeneratedRegex(@"Mock server (?<id>\S+) started on port (?<port>\d+)")]
    internal static partial Regex MockStarted();
}

/// <summary>A running <c>pact mock</c> master server.</summary>
public sealed class PactMock(ToolProcess master, int port) : IAsyncDisposable
{
    private string Port => port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Starts a mock server that answers as the contract says; returns its base address.</summary>
    public async Task<Uri> ServeAsync(string contract)
    {
        var created = await ToolProcess.RunAsync(PactCli.Executable, ["mock", "create", "--port", Port, "--host", "127.0.0.1", "--file", contract, "--no-term-log", "--no-file-log"], TimeSpan.FromSeconds(30), PactCli.Quiet);
        var match = PactCli.MockStarted().Match(created.Output);
        return created.ExitCode == 0 && match.Success
            ? new Uri($"http://127.0.0.1:{match.Groups["port"].Value}/")
            : throw new InvalidOperationException("pact mock create failed: " + created);
    }

    /// <summary>
    /// Whether the mock received every interaction of its contract and nothing else (exit code 0). On a loaded machine
    /// the CLI's call to the master server can fail to connect (exit 40); that is retried with a growing pause, for up to
    /// about eight seconds, while the master runs. A verdict is never retried.
    /// </summary>
    public async Task<ToolResult> VerifyAsync(Uri mock)
    {
        for (var attempt = 1; ; attempt++)
        {
            var verified = await ToolProcess.RunAsync(PactCli.Executable,
                ["mock", "verify", "--port", Port, "--host", "127.0.0.1", "--mock-server-port", mock.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-term-log", "--no-file-log"],
                TimeSpan.FromSeconds(30), PactCli.Quiet);
            if (verified.ExitCode != 0 && master.HasExited)
            {
                return verified with { Output = $"{verified.Output}\nThe master mock server had exited:\n{master.Output}" };
            }
            if (attempt == 5 || !verified.Output.Contains("Failed to connect to the master mock server", StringComparison.Ordinal))
            {
                return verified;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250 << attempt));
        }
    }

    public ValueTask DisposeAsync() => master.DisposeAsync();
}
