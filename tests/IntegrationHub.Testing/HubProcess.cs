using System.Diagnostics;
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
    private readonly Process _process;
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _output = new();

    private HubProcess(Process process) => _process = process;

    public Uri BaseAddress { get; private set; } = null!;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<HubProcess> StartAsync(string workingDirectory, IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "run", "--project", Path.Combine(Repository.Root, "src", "Gateway"), "-c", Repository.Configuration, "--no-build", "--", "--urls", "http://127.0.0.1:0" })
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["Mqtt__Address"] = "127.0.0.1";
        start.Environment["Mqtt__Port"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var hub = new HubProcess(new Process { StartInfo = start, EnableRaisingEvents = true });
        hub._process.OutputDataReceived += (_, e) => hub.Record(e.Data);
        hub._process.ErrorDataReceived += (_, e) => hub.Record(e.Data);
        hub._process.Exited += (_, _) => hub._listening.TrySetException(new InvalidOperationException("The hub exited before listening:\n" + hub.Output));
        hub._process.Start();
        hub._process.BeginOutputReadLine();
        hub._process.BeginErrorReadLine();
        try
        {
            hub.BaseAddress = await hub._listening.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException)
        {
            await hub.DisposeAsync();
            throw new TimeoutException("The hub did not start listening in time:\n" + hub.Output);
        }
        return hub;
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
        if (Listening().Match(line) is { Success: true } match)
        {
            _listening.TrySetResult(new Uri(match.Groups["url"].Value));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

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
