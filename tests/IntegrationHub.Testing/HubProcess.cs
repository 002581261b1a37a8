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

    public static Task<HubProcess> StartAsync(string workingDirectory, IDictionary<string, string>? environment = null, TimeSpan? timeout = null) =>
        LaunchAsync(ToolProcess.DotnetRun(Path.Combine("src", "Gateway"), "--urls", "http://127.0.0.1:0"), workingDirectory, environment, timeout);

    /// <summary>
    /// The built hub, <c>dotnet …/IntegrationHub.Gateway.dll</c>, started in <paramref name="workingDirectory"/>: the way a
    /// service manager runs an installed hub, from whatever folder it was given. Signals reach the hub itself, not <c>dotnet run</c>.
    /// </summary>
    public static Task<HubProcess> StartBuiltAsync(string workingDirectory, IDictionary<string, string>? environment = null, params string[] arguments) =>
        LaunchAsync([BuiltAssembly, "--urls", "http://127.0.0.1:0", .. arguments], workingDirectory, environment, null);

    /// <summary>The hub's assembly in its build output (the configuration and framework the tests were built with).</summary>
    public static string BuiltAssembly { get; } =
        Path.Combine(Repository.Root, "src", "Gateway", "bin", Repository.Configuration, Repository.TargetFramework, "IntegrationHub.Gateway.dll");

    private static async Task<HubProcess> LaunchAsync(IEnumerable<string> arguments, string workingDirectory, IDictionary<string, string>? environment, TimeSpan? timeout)
    {
        // Each hub gets its own MQTT port unless the caller names one, so that parallel hubs never collide on 1883.
        var settings = new Dictionary<string, string>
        {
            ["Mqtt__Address"] = "127.0.0.1",
            ["Mqtt__Port"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        // The run's database provider; a hub started again in the same folder finds the same database.
        var data = environment?.TryGetValue("Hub__DataDirectory", out var configured) == true ? configured : workingDirectory;
        foreach (var (key, value) in TestStorage.SettingsFor(data))
        {
            settings[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }
        var (process, listening) = await ToolProcess.StartAsync("dotnet", arguments, Listening(), timeout ?? TimeSpan.FromSeconds(180), settings, workingDirectory);
        return new HubProcess(process, new Uri(listening.Groups["url"].Value));
    }

    /// <summary>
    /// The settings of a hub a test kills and restarts on the same data: Development, its data folder below
    /// <paramref name="directory"/>, the tests' admin client, its own MQTT port, and a fixed issuer so that tokens
    /// outlive the restart (the signing keys persist in the data folder).
    /// </summary>
    public static Dictionary<string, string> Restartable(string directory, int mqttPort) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["Hub__DataDirectory"] = Path.Combine(directory, "data"),
        ["Bootstrap__ClientId"] = HubFactory.AdminId,
        ["Bootstrap__ClientSecret"] = HubFactory.AdminSecret,
        ["Auth__Issuer"] = "https://hub.test/",
        ["Mqtt__Port"] = mqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The failures and critical errors the hub logged, each with its exception: what a failing test shows of a node.</summary>
    public string Failures()
    {
        var failures = new System.Text.StringBuilder();
        var inFailure = false;
        foreach (var line in Output.Split('\n'))
        {
            if (!line.StartsWith(' '))
            {
                inFailure = line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal);
            }
            if (inFailure)
            {
                failures.AppendLine(line);
            }
        }
        return failures.ToString();
    }

    /// <summary>Waits for a line of the hub's output.</summary>
    public Task<Match> WaitForLineAsync(Regex pattern, TimeSpan timeout) => _process.WaitForLineAsync(pattern, timeout);

    /// <summary>Stops the hub as a service manager does (SIGTERM) and waits for it to exit; answers its exit code.</summary>
    public Task<int> StopAsync(TimeSpan timeout) => _process.TerminateAsync(timeout);

    /// <summary>Kills the hub, as a crash would: no shutdown, no flush.</summary>
    public ValueTask DisposeAsync() => _process.DisposeAsync();

    [GeneratedRegex(@"Now listening on: (?<url>http://\S+)")]
    private static partial Regex Listening();
}

/// <summary>Where the repository is, which build configuration the tests run in, and where the outside oracles are.</summary>
public static class Repository
{
    /// <summary>Names the folder holding the standards bodies' test data (../shared/oracles); .ci/run sets it.</summary>
    public const string OraclesVariable = "IHUB_ORACLES";

    /// <summary>
    /// A file or folder of the outside oracles; null when the variable is unset (the caller skips, saying why).
    /// When the variable is set, missing data is an error, not a skip.
    /// </summary>
    public static string? Oracle(string name)
    {
        var root = Environment.GetEnvironmentVariable(OraclesVariable);
        if (string.IsNullOrEmpty(root))
        {
            return null;
        }
        var path = Path.Combine(root, name);
        return File.Exists(path) || Directory.Exists(path)
            ? path
            : throw new FileNotFoundException($"{OraclesVariable} is set to '{root}', but '{path}' does not exist.", path);
    }

    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: the tests run against the build they were built with.</summary>
    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    /// <summary>The target framework folder of that build (net10.0).</summary>
    public static string TargetFramework { get; } = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;

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
