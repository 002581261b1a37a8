using System.Text.RegularExpressions;

namespace IntegrationHub.Testing;

/// <summary>
/// The hub as a separate process, started the way the README starts it (<c>dotnet run --project src/Gateway</c>),
/// on an ephemeral loopback port. <c>dotnet run</c> runs it in the project folder, so give it a data folder of its own
/// (<c>Hub__DataDirectory</c>). For tests that need a real process: the README walkthrough now, restarts and
/// crashes later. Waits for Kestrel's "Now listening on" line, with a timeout, never a sleep.
/// </summary>
public sealed partial class HubProcess : IAsyncDisposable
{
    private readonly ToolProcess _process;

    private HubProcess(ToolProcess process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public string Output => _process.Output;

    public static async Task<HubProcess> StartAsync(string workingDirectory, IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var (process, listening) = await ToolProcess.StartAsync(
            "dotnet", ToolProcess.DotnetRun(Path.Combine("src", "Gateway"), "--urls", "http://127.0.0.1:0"), Listening(), timeout ?? TimeSpan.FromSeconds(90), environment, workingDirectory);
        return new HubProcess(process, new Uri(listening.Groups["url"].Value));
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    [GeneratedRegex(@"Now listening on: (?<url>http://\S+)")]
    private static partial Regex Listening();
}

/// <summary>Where the repository is, and which build configuration the tests run in.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: the tests run against the build they were built with.</summary>
    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "IntegrationHub.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("No repository root (IntegrationHub.sln) above " + AppContext.BaseDirectory);
    }
}
