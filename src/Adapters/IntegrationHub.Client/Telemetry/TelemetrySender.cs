using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Client.Telemetry;

/// <summary>
/// Sends telemetry in batches. Each message gets an id if it has none, then waits in a queue; a batch goes out when it
/// is full (messages or bytes) or its first message has waited long enough. The task of each message completes with
/// the hub's verdict on it. Transient failures are retried by the transport's pipeline, and because every message
/// keeps its id, a retried batch is stored once: the hub answers <c>duplicate</c> for what it already has.
/// </summary>
public interface ITelemetrySender : IAsyncDisposable
{
    /// <summary>Queues a message; completes with the hub's verdict, or fails with the batch's error.</summary>
    Task<MessageResult> SendAsync(TelemetryMessage message, CancellationToken cancellationToken = default);

    /// <summary>Sends what is queued now, without waiting for the batch to fill; completes when it has been answered.</summary>
    Task FlushAsync(CancellationToken cancellationToken = default);
}

internal sealed class TelemetrySender : ITelemetrySender
{
    private readonly ITelemetryTransport _transport;
    private readonly TelemetrySenderOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TelemetrySender> _logger;
    private readonly Channel<Pending> _queue;
    private readonly Task _pump;

    public TelemetrySender(ITelemetryTransport transport, IOptions<TelemetrySenderOptions> options, TimeProvider time, ILogger<TelemetrySender> logger)
    {
        _transport = transport;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(_options.QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _pump = Task.Run(PumpAsync);
    }

    public async Task<MessageResult> SendAsync(TelemetryMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (string.IsNullOrEmpty(message.MessageId))
        {
            message = message with { MessageId = _options.MessageIdPrefix + Guid.CreateVersion7(_time.GetUtcNow()).ToString("N") };
        }
        var pending = new Pending(new EncodedMessage(message, JsonSerializer.SerializeToUtf8Bytes(message, HubJson.Options)));
        await _queue.Writer.WriteAsync(pending, cancellationToken);
        return await pending.Answer.Task.WaitAsync(cancellationToken);
    }

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var marker = new Pending(null);
        await _queue.Writer.WriteAsync(marker, cancellationToken);
        await marker.Answer.Task.WaitAsync(cancellationToken);
    }

    private async Task PumpAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(_options.MaxBatchMessages);
        var flushes = new List<Pending>();
        while (await reader.WaitToReadAsync())
        {
            var bytes = 0;
            // The window opens with the batch's first message and bounds how long it waits for company.
            using (var window = new CancellationTokenSource(_options.MaxDelay, _time))
            {
                while (batch.Count < _options.MaxBatchMessages && flushes.Count == 0)
                {
                    if (reader.TryPeek(out var next))
                    {
                        if (next.Message is { } message && batch.Count > 0 && bytes + message.Json.Length > _options.MaxBatchBytes)
                        {
                            break;
                        }
                        reader.TryRead(out next);
                        if (next!.Message is null)
                        {
                            flushes.Add(next);
                            continue;
                        }
                        batch.Add(next);
                        bytes += next.Message.Value.Json.Length;
                        continue;
                    }
                    if (batch.Count == 0 && flushes.Count == 0)
                    {
                        break;
                    }
                    try
                    {
                        if (!await reader.WaitToReadAsync(window.Token))
                        {
                            break;
                        }
                    }
                    catch (OperationCanceledException) when (window.IsCancellationRequested)
                    {
                        break;
                    }
                }
            }
            if (batch.Count > 0)
            {
                await SendBatchAsync(batch);
                batch.Clear();
            }
            foreach (var flush in flushes)
            {
                flush.Answer.TrySetResult(null!);
            }
            flushes.Clear();
        }
    }

    private async Task SendBatchAsync(List<Pending> batch)
    {
        try
        {
            var results = await _transport.SendAsync(batch.ConvertAll(p => p.Message!.Value), CancellationToken.None);
            if (results.Count != batch.Count)
            {
                throw new InvalidOperationException($"The {_transport.Name} transport answered {results.Count} results for {batch.Count} messages.");
            }
            int accepted = 0, duplicates = 0;
            for (var i = 0; i < batch.Count; i++)
            {
                accepted += results[i].Status == MessageStatus.Accepted ? 1 : 0;
                duplicates += results[i].Status == MessageStatus.Duplicate ? 1 : 0;
                batch[i].Answer.TrySetResult(results[i]);
            }
            ClientLog.BatchSent(_logger, batch.Count, accepted, duplicates, batch.Count - accepted - duplicates);
        }
#pragma warning disable CA1031 // The batch's failure belongs to its callers: every waiting message gets it.
        catch (Exception e)
#pragma warning restore CA1031
        {
            ClientLog.BatchFailed(_logger, batch.Count, e);
            foreach (var pending in batch)
            {
                pending.Answer.TrySetException(e);
            }
        }
    }

    /// <summary>Sends what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _pump;
    }

    /// <summary>A queued message, or (without one) a flush marker.</summary>
    private sealed class Pending(EncodedMessage? message)
    {
        public EncodedMessage? Message { get; } = message;

        public TaskCompletionSource<MessageResult> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
