using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace IntegrationHub.Testing;

/// <summary>What a finished command printed and how it exited.</summary>
public sealed record ToolResult(int ExitCode, string Output)
{
    public override string ToString() => $"exit {ExitCode}\n{Output}";
}

/// <summary>
/// A command-line tool run as a real process, the way a user runs it: to completion with a timeout
/// (<see cref="RunAsync"/>), or in the background until a line shows it is ready (<see cref="StartAsync"/>).
/// Output is collected from both streams; nothing waits by sleeping.
/// </summary>
public sealed class ToolProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Regex? _ready;
    private readonly TaskCompletionSource<Match> _readyLine = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(Regex Pattern, TaskCompletionSource<Match> Seen)> _waiters = [];
    private int _disposed;

    private ToolProcess(ProcessStartInfo start, Regex? ready)
    {
        _ready = ready;
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Record(e.Data);
        _process.ErrorDataReceived += (_, e) => Record(e.Data);
        _process.Exited += (_, _) => _readyLine.TrySetException(new InvalidOperationException($"{start.FileName} exited before it was ready:\n{Output}"));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

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

    public bool HasExited => _process.HasExited;

    /// <summary>The <c>dotnet run</c> arguments for a project of this repository, built in the tests' configuration.</summary>
    public static IEnumerable<string> DotnetRun(string project, params string[] arguments) =>
        ["run", "--project", Path.Combine(Repository.Root, project), "-c", Repository.Configuration, "--no-build", "--", .. arguments];

    /// <summary>Runs a command to completion; kills it and fails when it outlasts <paramref name="timeout"/>.</summary>
    public static async Task<ToolResult> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        await using var tool = new ToolProcess(StartInfo(fileName, arguments, environment), null);
        try
        {
            await tool._process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout}:\n{tool.Output}");
        }
        // The exit event can come before the last lines of output; this waits for the streams to close.
        await tool._process.WaitForExitAsync();
        return new ToolResult(tool._process.ExitCode, tool.Output);
    }

    /// <summary>Starts a long-running command and waits for the first line matching <paramref name="ready"/>.</summary>
    public static async Task<(ToolProcess Process, Match Ready)> StartAsync(
        string fileName, IEnumerable<string> arguments, Regex ready, TimeSpan timeout, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var tool = new ToolProcess(StartInfo(fileName, arguments, environment, workingDirectory), ready);
        try
        {
            return (tool, await tool._readyLine.Task.WaitAsync(timeout));
        }
        catch (TimeoutException)
        {
            await tool.DisposeAsync();
            throw new TimeoutException($"{fileName} was not ready within {timeout}:\n{tool.Output}");
        }
        catch
        {
            await tool.DisposeAsync();
            throw;
        }
    }

    private static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory ?? Repository.Root };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        return start;
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
            foreach (var (pattern, seen) in _waiters)
            {
                if (pattern.Match(line) is { Success: true } found)
                {
                    seen.TrySetResult(found);
                }
            }
        }
        if (_ready?.Match(line) is { Success: true } match)
        {
            _readyLine.TrySetResult(match);
        }
    }

    /// <summary>Waits for a line of output matching <paramref name="pattern"/> (one already printed counts).</summary>
    public async Task<Match> WaitForLineAsync(Regex pattern, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            if (pattern.Match(_output.ToString()) is { Success: true } printed)
            {
                return printed;
            }
            _waiters.Add((pattern, seen));
        }
        try
        {
            return await seen.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No line matching '{pattern}' within {timeout}:\n{Output}");
        }
    }

    /// <summary>
    /// Sends SIGTERM, as a service manager stops a process, and waits for the exit; answers the exit code. Fails when the
    /// process outlasts <paramref name="timeout"/> (disposing it then kills it).
    /// </summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{_process.StartInfo.FileName} did not exit within {timeout} of SIGTERM:\n{Output}");
        }
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
