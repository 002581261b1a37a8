using System.Diagnostics;
using System.Globalization;

namespace IntegrationHub.Bench.Suite;

/// <summary>
/// Open-loop load: batches go out at a fixed rate whatever the hub does, each at its scheduled time, and every latency
/// is measured from that scheduled time, so a hub that stalls is charged for the whole stall and not only for the
/// requests that happened to be in flight (no coordinated omission). Requests are never held back by the client beyond
/// its connection pool; answers still outstanding <c>answerWait</c> after the last send are given up and counted.
/// </summary>
internal sealed class OpenLoad
{
    private readonly Lock _lock = new();
    private readonly HashSet<string> _acknowledged = new(StringComparer.Ordinal);
    private int _ok, _unavailable, _retryAfter, _rateLimited, _other, _failed, _unanswered;

    private OpenLoad(int messages) => Scheduled = new Dictionary<string, long>(messages, StringComparer.Ordinal);

    /// <summary>Each message id and its scheduled send time (a <see cref="Stopwatch"/> timestamp).</summary>
    public Dictionary<string, long> Scheduled { get; }

    /// <summary>Per request, from its scheduled time to a 200 answer; any other outcome counts as missing.</summary>
    public Latencies Acks { get; } = new();

    /// <summary>Per request, from its scheduled time to any answer (200, 503, 429…); no answer counts as missing.</summary>
    public Latencies Answers { get; } = new();

    public IReadOnlyCollection<string> Acknowledged => _acknowledged;

    public int Requests { get; private set; }

    public int Unavailable => _unavailable;

    public int RateLimited => _rateLimited;

    public int NotAnswered => _failed + _unanswered;

    /// <summary>When the last 200 answer came.</summary>
    public long LastAck { get; private set; }

    /// <summary>Messages acknowledged per second, from the first scheduled send to the last acknowledgement.</summary>
    public double AcknowledgedPerSecond => LastAck > Started ? _acknowledged.Count / Stopwatch.GetElapsedTime(Started, LastAck).TotalSeconds : 0;

    /// <summary>When the first batch was due.</summary>
    public long Started { get; private set; }

    /// <summary>How long sending took (the scheduled duration, unless the client itself fell behind).</summary>
    public TimeSpan Sending { get; private set; }

    public static async Task<OpenLoad> RunAsync(HttpClient http, IReadOnlyList<OutgoingBatch> batches, double messagesPerSecond, TimeSpan answerWait)
    {
        var load = new OpenLoad(batches.Sum(b => b.MessageIds.Length));
        using var giveUp = new CancellationTokenSource();
        var sends = new List<Task>(batches.Count);
        load.Started = Stopwatch.GetTimestamp();
        var due = (double)load.Started;
        foreach (var batch in batches)
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), (long)due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
            foreach (var id in batch.MessageIds)
            {
                load.Scheduled[id] = (long)due;
            }
            sends.Add(load.SendAsync(http, batch, (long)due, giveUp.Token));
            due += Stopwatch.Frequency * batch.MessageIds.Length / messagesPerSecond;
        }
        load.Sending = Stopwatch.GetElapsedTime(load.Started);
        load.Requests = batches.Count;
        var all = Task.WhenAll(sends);
        if (await Task.WhenAny(all, Task.Delay(answerWait)) != all)
        {
            await giveUp.CancelAsync();
        }
        await all;
        return load;
    }

    private async Task SendAsync(HttpClient http, OutgoingBatch batch, long due, CancellationToken giveUp)
    {
        try
        {
            var answer = await Ingest.PostAsync(http, batch, giveUp);
            var elapsed = Stopwatch.GetElapsedTime(due).TotalMilliseconds;
            Answers.Add(elapsed);
            switch (answer.Status)
            {
                case 200:
                    Acks.Add(elapsed);
                    Interlocked.Increment(ref _ok);
                    lock (_lock)
                    {
                        _acknowledged.UnionWith(answer.Acknowledged);
                        LastAck = Math.Max(LastAck, Stopwatch.GetTimestamp());
                    }
                    return;
                case 503:
                    Interlocked.Increment(ref _unavailable);
                    if (answer.RetryAfter)
                    {
                        Interlocked.Increment(ref _retryAfter);
                    }
                    break;
                case 429:
                    Interlocked.Increment(ref _rateLimited);
                    break;
                default:
                    Interlocked.Increment(ref _other);
                    break;
            }
            Acks.AddMissing(1);
        }
        catch (OperationCanceledException) when (giveUp.IsCancellationRequested)
        {
            Interlocked.Increment(ref _unanswered);
            Acks.AddMissing(1);
            Answers.AddMissing(1);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            // The client's timeout or a broken connection: no answer.
            Interlocked.Increment(ref _failed);
            Acks.AddMissing(1);
            Answers.AddMissing(1);
        }
    }

    /// <summary>
    /// From each acknowledged message's scheduled send to its first arrival at a subscriber; an acknowledged message
    /// that has not arrived counts as missing. With <paramref name="only"/>, just those messages (the ones that raise alerts).
    /// </summary>
    public Latencies DeliveryLatencies(Arrivals arrivals, IReadOnlySet<string>? only = null)
    {
        var latencies = new Latencies();
        foreach (var id in only is null ? _acknowledged : _acknowledged.Where(only.Contains))
        {
            if (arrivals.TryGet(id, out var at))
            {
                latencies.Add(Stopwatch.GetElapsedTime(Scheduled[id], at).TotalMilliseconds);
            }
            else
            {
                latencies.AddMissing(1);
            }
        }
        return latencies;
    }

    /// <summary>What became of the requests, for the table's notes.</summary>
    public string Summary() => string.Create(CultureInfo.InvariantCulture,
        $"{Requests:N0} requests: {_ok:N0} answered 200, {_unavailable:N0} × 503 ({_retryAfter:N0} with Retry-After), {_rateLimited:N0} × 429, {_other:N0} other, {_failed:N0} failed or timed out, {_unanswered:N0} unanswered when given up");
}
