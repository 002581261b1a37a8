using System.Globalization;
using System.Text.RegularExpressions;

namespace IntegrationHub.Testing;

/// <summary>
/// A real mosquitto broker (Debian's <c>mosquitto</c> package) on an ephemeral loopback port, with its configuration in
/// a folder of its own: the external broker of the hub's external mode, and the baseline of the MQTT benchmark. Anonymous
/// clients are let in, nothing is persisted to disk, and queues are deep enough for a burst of tens of thousands of
/// QoS 1 messages. Killed on disposal.
/// </summary>
public sealed partial class Mosquitto : IAsyncDisposable
{
    private readonly ToolProcess _process;

    private Mosquitto(ToolProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Output => _process.Output;

    /// <summary>The broker's binary, or null when mosquitto is not installed (<c>./test.sh</c> installs it).</summary>
    public static string? Binary { get; } = new[] { "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/bin/mosquitto" }.FirstOrDefault(File.Exists);

    public static async Task<Mosquitto> StartAsync(TimeSpan? timeout = null)
    {
        var binary = Binary ?? throw new InvalidOperationException("mosquitto is not installed; ./test.sh installs it.");
        var port = FreePort.Next();
        var directory = Directory.CreateTempSubdirectory("ihub-mosquitto-").FullName;
        var configuration = Path.Combine(directory, "mosquitto.conf");
        await File.WriteAllTextAsync(configuration, string.Create(CultureInfo.InvariantCulture, $"""
            listener {port} 127.0.0.1
            allow_anonymous true
            persistence false
            max_queued_messages 1000000
            max_inflight_messages 0
            # stderr: mosquitto buffers its log on a stdout that is not a terminal.
            log_dest stderr
            log_type error
            log_type warning
            log_type notice
            log_type information

            """));
        var (process, _) = await ToolProcess.StartAsync(binary, ["-c", configuration], Running(), timeout ?? TimeSpan.FromSeconds(20));
        return new Mosquitto(process, port);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    [GeneratedRegex(@"mosquitto version \S+ running")]
    private static partial Regex Running();
}
