using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace IntegrationHub.Testing;

/// <summary>A message the SMTP receiver took: the envelope, who signed in, and the message as sent (dot-stuffing undone).</summary>
public sealed record ReceivedMail(string From, IReadOnlyList<string> Recipients, string? SignedInAs, byte[] Data)
{
    public string Text => Encoding.UTF8.GetString(Data);
}

/// <summary>
/// A small SMTP server on an ephemeral loopback port, speaking enough of RFC 5321 for a real client (MailKit): EHLO,
/// AUTH PLAIN and LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS. <see cref="Refuse"/> makes it answer MAIL with
/// a temporary failure, as a relay under load does; <see cref="HangOnQuit"/> leaves QUIT unanswered. Tests wait on it for what they expect, never sleep.
/// </summary>
public sealed class SmtpReceiver : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<ReceivedMail> _mails = [];
    private readonly List<Task> _sessions = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _accepting = Task.CompletedTask;

    private SmtpReceiver()
    {
    }

    public int Port { get; private set; }

    /// <summary>When set, MAIL FROM is answered <c>451 4.3.0</c> (try again later) and nothing is taken.</summary>
    public bool Refuse { get; set; }

    /// <summary>
    /// When set, QUIT goes unanswered and the connection stays open until the client gives up, as a relay does that
    /// hangs after it queued the message.
    /// </summary>
    public bool HangOnQuit { get; set; }

    /// <summary>When set, AUTH must present this user name and password (else 535); otherwise any sign-in passes.</summary>
    public (string UserName, string Password)? Credentials { get; set; }

    /// <summary>MAIL commands the receiver refused, counting every attempt of a client that retries.</summary>
    public int Refused { get; private set; }

    public static SmtpReceiver Start()
    {
        var receiver = new SmtpReceiver();
        receiver._listener.Start();
        receiver.Port = ((IPEndPoint)receiver._listener.LocalEndpoint).Port;
        receiver._accepting = receiver.AcceptAsync();
        return receiver;
    }

    public IReadOnlyList<ReceivedMail> Mails
    {
        get
        {
            lock (_lock)
            {
                return [.. _mails];
            }
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds over the mails taken so far (and the refusals).</summary>
    public async Task<IReadOnlyList<ReceivedMail>> WaitUntilAsync(Func<IReadOnlyList<ReceivedMail>, bool> condition, TimeSpan? timeout = null)
    {
        var elapsed = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        while (true)
        {
            Task changed;
            IReadOnlyList<ReceivedMail> mails;
            lock (_lock)
            {
                changed = _changed.Task;
                mails = [.. _mails];
            }
            if (condition(mails))
            {
                return mails;
            }
            var left = limit - elapsed.Elapsed;
            if (left <= TimeSpan.Zero || await Task.WhenAny(changed, Task.Delay(left)) != changed)
            {
                throw new TimeoutException($"The SMTP receiver did not see what the test waited for within {limit}; it took {mails.Count} mail(s) and refused {Refused}.");
            }
        }
    }

    private void Changed(Action change)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            change();
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

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
            lock (_lock)
            {
                _sessions.Add(SessionAsync(client));
            }
        }
    }

    private async Task SessionAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var reader = new LineReader(stream);
            string? from = null;
            string? signedIn = null;
            var recipients = new List<string>();
            await WriteAsync(stream, "220 smtp.test ESMTP ready");
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                var verb = (line.Length >= 4 ? line[..4] : line).ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await WriteAsync(stream, "250-smtp.test\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SIZE 10485760");
                        break;
                    case "HELO":
                        await WriteAsync(stream, "250 smtp.test");
                        break;
                    case "AUTH":
                        signedIn = await SignInAsync(stream, reader, line);
                        break;
                    case "MAIL":
                        if (Refuse)
                        {
                            Changed(() => Refused++);
                            await WriteAsync(stream, "451 4.3.0 Try again later");
                            break;
                        }
                        from = Between(line);
                        recipients.Clear();
                        await WriteAsync(stream, "250 2.1.0 OK");
                        break;
                    case "RCPT":
                        recipients.Add(Between(line));
                        await WriteAsync(stream, "250 2.1.5 OK");
                        break;
                    case "DATA":
                        await WriteAsync(stream, "354 End data with <CR><LF>.<CR><LF>");
                        var data = await reader.ReadDataAsync(_stop.Token);
                        var mail = new ReceivedMail(from ?? "", [.. recipients], signedIn, data);
                        Changed(() => _mails.Add(mail));
                        await WriteAsync(stream, "250 2.0.0 Queued");
                        break;
                    case "RSET":
                        from = null;
                        recipients.Clear();
                        await WriteAsync(stream, "250 2.0.0 OK");
                        break;
                    case "NOOP":
                        await WriteAsync(stream, "250 2.0.0 OK");
                        break;
                    case "QUIT":
                        if (HangOnQuit)
                        {
                            // No answer: the next read ends when the client closes the connection.
                            break;
                        }
                        await WriteAsync(stream, "221 2.0.0 Bye");
                        return;
                    default:
                        await WriteAsync(stream, "502 5.5.2 Command not recognized");
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client went away or the receiver stops.
        }
    }

    private async Task<string?> SignInAsync(NetworkStream stream, LineReader reader, string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string user, password;
        if (parts.Length >= 2 && parts[1].Equals("PLAIN", StringComparison.OrdinalIgnoreCase))
        {
            string encoded;
            if (parts.Length >= 3)
            {
                encoded = parts[2];
            }
            else
            {
                await WriteAsync(stream, "334 ");
                encoded = await reader.ReadLineAsync(_stop.Token) ?? "";
            }
            var fields = Encoding.UTF8.GetString(Convert.FromBase64String(encoded)).Split('\0');
            (user, password) = (fields[^2], fields[^1]);
        }
        else if (parts.Length >= 2 && parts[1].Equals("LOGIN", StringComparison.OrdinalIgnoreCase))
        {
            await WriteAsync(stream, "334 VXNlcm5hbWU6");
            user = Encoding.UTF8.GetString(Convert.FromBase64String(await reader.ReadLineAsync(_stop.Token) ?? ""));
            await WriteAsync(stream, "334 UGFzc3dvcmQ6");
            password = Encoding.UTF8.GetString(Convert.FromBase64String(await reader.ReadLineAsync(_stop.Token) ?? ""));
        }
        else
        {
            await WriteAsync(stream, "504 5.5.4 Unrecognized authentication type");
            return null;
        }
        if (Credentials is { } expected && (expected.UserName != user || expected.Password != password))
        {
            await WriteAsync(stream, "535 5.7.8 Authentication credentials invalid");
            return null;
        }
        await WriteAsync(stream, "235 2.7.0 Authentication successful");
        return user;
    }

    private static string Between(string line)
    {
        var start = line.IndexOf('<', StringComparison.Ordinal);
        var end = line.IndexOf('>', StringComparison.Ordinal);
        return start >= 0 && end > start ? line[(start + 1)..end] : "";
    }

    private static Task WriteAsync(NetworkStream stream, string reply) => stream.WriteAsync(Encoding.ASCII.GetBytes(reply + "\r\n")).AsTask();

    /// <summary>Reads CRLF-terminated lines, and DATA up to the lone dot, from the connection.</summary>
    private sealed class LineReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[8192];
        private int _start;
        private int _end;

        public async Task<string?> ReadLineAsync(CancellationToken cancellationToken) =>
            await ReadRawLineAsync(cancellationToken) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;

        public async Task<byte[]> ReadDataAsync(CancellationToken cancellationToken)
        {
            using var data = new MemoryStream();
            while (await ReadRawLineAsync(cancellationToken) is { } line)
            {
                if (line is [(byte)'.'])
                {
                    break;
                }
                // RFC 5321 §4.5.2: a line that starts with a dot had one added.
                data.Write(line.Length > 0 && line[0] == '.' ? line.AsSpan(1) : line);
                data.Write("\r\n"u8);
            }
            return data.ToArray();
        }

        private async Task<byte[]?> ReadRawLineAsync(CancellationToken cancellationToken)
        {
            using var line = new MemoryStream();
            while (true)
            {
                if (_start == _end)
                {
                    _start = 0;
                    _end = await stream.ReadAsync(_buffer, cancellationToken);
                    if (_end == 0)
                    {
                        return null;
                    }
                }
                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (newline < 0)
                {
                    line.Write(_buffer, _start, _end - _start);
                    _start = _end;
                    continue;
                }
                line.Write(_buffer, _start, newline - _start);
                _start = newline + 1;
                var bytes = line.ToArray();
                return bytes.Length > 0 && bytes[^1] == '\r' ? bytes[..^1] : bytes;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] sessions;
        lock (_lock)
        {
            sessions = [.. _sessions];
        }
        await Task.WhenAll(sessions);
        _stop.Dispose();
    }
}
