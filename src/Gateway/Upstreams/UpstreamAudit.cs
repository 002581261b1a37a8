using System.Threading.Channels;
using IntegrationHub.Gateway.Storage;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Upstreams;

/// <summary>
/// The audit trail of proxied calls, kept off the request path: a call is queued when it ends and written later, many
/// to a transaction. A full queue drops the call from the trail and counts it (<c>ihub.upstream.audit.dropped</c>),
/// so the proxy never waits for the database; the call's metrics are counted either way.
/// </summary>
/// <remarks>
/// Calls are gathered for <see cref="UpstreamOptions.AuditDelay"/> after the first of a batch arrives. Without it, a
/// gateway serving one call at a time wrote each in a transaction of its own, with its own fsync: a quarter of the
/// hub's CPU in the proxy's profile, more than the proxied requests themselves.
/// </remarks>
internal sealed partial class UpstreamAudit(IServiceScopeFactory scopes, UpstreamMetrics metrics, IOptions<UpstreamOptions> options, TimeProvider time, ILogger<UpstreamAudit> logger)
    : BackgroundService
{
    private readonly Channel<UpstreamCall> _queue = Channel.CreateBounded<UpstreamCall>(
        new BoundedChannelOptions(options.Value.AuditQueue) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
        _ => metrics.AuditDropped());

    public void Record(UpstreamCall call)
    {
        metrics.Call(call);
        _queue.Writer.TryWrite(call);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<UpstreamCall>(options.Value.AuditBatch);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                if (options.Value.AuditDelay > TimeSpan.Zero && _queue.Reader.Count < options.Value.AuditBatch)
                {
                    await Task.Delay(options.Value.AuditDelay, time, stoppingToken);
                }
                // Everything gathered is written, a batch at a time: under load, batches are full before the delay is up.
                while (_queue.Reader.TryRead(out var call))
                {
                    batch.Add(call);
                    if (batch.Count == options.Value.AuditBatch)
                    {
                        await WriteAsync(batch, stoppingToken);
                        batch.Clear();
                    }
                }
                if (batch.Count > 0)
                {
                    await WriteAsync(batch, stoppingToken);
                    batch.Clear();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // What is still queued at shutdown is written before the hub stops.
        while (_queue.Reader.TryRead(out var call))
        {
            batch.Add(call);
        }
        if (batch.Count > 0)
        {
            await WriteAsync(batch, CancellationToken.None);
        }
    }

    private async Task WriteAsync(List<UpstreamCall> batch, CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HubDb>();
            db.UpstreamCalls.AddRange(batch);
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The trail must not take the gateway down; the loss is logged with its size.
            WriteFailed(logger, batch.Count, exception);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "{Count} proxied calls could not be written to the audit trail")]
    private static partial void WriteFailed(ILogger logger, int count, Exception exception);
}
