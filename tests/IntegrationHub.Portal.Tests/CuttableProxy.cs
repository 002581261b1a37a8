using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace IntegrationHub.Portal.Tests;

/// <summary>
/// A TCP relay between the browser and the hub on loopback, whose line can be cut and restored: the browser loses its
/// connections as it would when a network drops, while the hub goes on running. It notes the head of every request it
/// relays, so a test can see what the browser asked for when it came back.
/// </summary>
public sealed class CuttableProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly ConcurrentDictionary<TcpClient, TcpClient> _open = new();
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _cut;

    public CuttableProxy(Uri target)
    {
        _target = target.Port;
        _listener.Start();
        _ = AcceptAsync();
    }

    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>The first bytes of each request relayed, as text: its request line and headers.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Drops every open connection, and every new one until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        _cut = true;
        foreach (var (client, upstream) in _open)
        {
            client.Dispose();
            upstream.Dispose();
        }
        _open.Clear();
    }

    public void Restore() => _cut = false;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            if (_cut)
            {
                client.Dispose();
                continue;
            }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            _open[client] = upstream;
            await Task.WhenAny(PumpAsync(client.GetStream(), upstream.GetStream(), note: true), PumpAsync(upstream.GetStream(), client.GetStream(), note: false));
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The line was cut, or either side hung up.
        }
        finally
        {
            _open.TryRemove(client, out _);
            client.Dispose();
            upstream.Dispose();
        }
    }

    private async Task PumpAsync(Stream from, Stream to, bool note)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            if (note && buffer.AsSpan(0, read).IndexOf("HTTP/1.1\r\n"u8) > 0)
            {
                Requests.Enqueue(Encoding.ASCII.GetString(buffer, 0, read));
            }
            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        _stop.Dispose();
    }
}
