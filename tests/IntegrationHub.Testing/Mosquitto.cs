using System.Globalization;
using System.Text.RegularExpressions;

namespace IntegrationHub.Testing;

/// <summary>
/// A real mosquitto broker (Debian's <c>mosquitto</c> package) on an ephemeral loopback port, with its configuration in
/// a folder of its own: the external broker of the hub's external mode, and the baseline of the MQTT benchmark. Anonymous
/// clients are let in, nothing is persisted to disk, and queues are deep enough for a burst of tens of thousands of
/// QoS 1 messages. With <see cref="MosquittoTls"/> it also listens for TLS on a second ephemeral port. Killed on disposal.
/// </summary>
public sealed partial class Mosquitto : IAsyncDisposable
{
    private readonly ToolProcess _process;

    private Mosquitto(ToolProcess process, int port, int? tlsPort)
    {
        _process = process;
        Port = port;
        TlsPort = tlsPort;
    }

    /// <summary>The plain listener.</summary>
    public int Port { get; }

    /// <summary>The TLS listener, when started with one.</summary>
    public int? TlsPort { get; }

    public string Output => _process.Output;

    /// <summary>The broker's binary, or null when mosquitto is not installed (<c>./test.sh</c> installs it).</summary>
    public static string? Binary { get; } = new[] { "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/bin/mosquitto" }.FirstOrDefault(File.Exists);

    /// <param name="timeout">How long the broker may take to say it runs.</param>
    /// <param name="tls">A TLS listener beside the plain one; null for the plain listener only.</param>
    public static async Task<Mosquitto> StartAsync(TimeSpan? timeout = null, MosquittoTls? tls = null)
    {
        var binary = Binary ?? throw new InvalidOperationException("mosquitto is not installed; ./test.sh installs it.");
        var port = FreePort.Next();
        int? tlsPort = tls is null ? null : FreePort.Next();
        var directory = Directory.CreateTempSubdirectory("ihub-mosquitto-").FullName;
        var configuration = Path.Combine(directory, "mosquitto.conf");
        // Listener options follow their listener line; the global ones below apply to both. Started by root, mosquitto
        // would drop to its own user before reading the key files, which sit in the test's private temp folder: it stays
        // the user the tests run as.
        var tlsListener = tls is null ? "" : string.Create(CultureInfo.InvariantCulture, $"""
            user {Environment.UserName}
            listener {tlsPort} 127.0.0.1
            cafile {tls.CaFile}
            certfile {tls.CertFile}
            keyfile {tls.KeyFile}
            require_certificate {(tls.RequireCertificate ? "true" : "false")}
            use_identity_as_username {(tls.RequireCertificate ? "true" : "false")}

            """);
        await File.WriteAllTextAsync(configuration, string.Create(CultureInfo.InvariantCulture, $"""
            listener {port} 127.0.0.1
            {tlsListener}allow_anonymous true
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
        return new Mosquitto(process, port, tlsPort);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    [GeneratedRegex(@"mosquitto version \S+ running")]
    private static partial Regex Running();
}

/// <summary>
/// Mosquitto's TLS listener: its certificate and key (PEM) and the CA file it checks clients' certificates against;
/// with <see cref="RequireCertificate"/> a client without a certificate from that CA is refused (mutual TLS), and the
/// certificate's common name becomes its user name.
/// </summary>
public sealed record MosquittoTls(string CaFile, string CertFile, string KeyFile, bool RequireCertificate = true);
