using IntegrationHub.Gateway.Cluster;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>
/// Deletes uploads that no resolve named within <see cref="FeedbackOptions.UnusedAttachmentRetention"/>: a photo sent
/// by mistake, or one a unit never got to use, would otherwise stay in the data store until its alert is deleted, and
/// count against its organization's quota. Once per cluster, on the leader; deleting twice deletes nothing more.
/// </summary>
internal sealed partial class UnusedAttachmentSweeper(
    IServiceScopeFactory scopes, Leadership leadership, TimeProvider time, IOptions<FeedbackOptions> options, ILogger<UnusedAttachmentSweeper> logger)
    : LeaderJob(leadership, time, logger)
{
    // A tenth of the shortest retention allowed: an upload outlives its retention by a few minutes at most.
    protected override TimeSpan Interval => TimeSpan.FromMinutes(6);

    protected override async Task RunAsync(long term, CancellationToken cancellationToken)
    {
        if (await SweepAsync(cancellationToken) is > 0 and var deleted)
        {
            Swept(Logger, deleted);
        }
    }

    /// <summary>Deletes the unused uploads past their retention, with their bytes (the content's key cascades).</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var before = (Time.GetUtcNow() - options.Value.UnusedAttachmentRetention).ToUnixTimeMilliseconds();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        return await db.AlertAttachments.Where(a => a.FeedbackId == null && a.UploadedAt < before).ExecuteDeleteAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 8002, Level = LogLevel.Information, Message = "Deleted {Count} uploads that no feedback named within their retention")]
    private static partial void Swept(ILogger logger, int count);
}
