using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Storage;

/// <summary>
/// Copies the write-ahead log into the database file in the background (a passive checkpoint, which never blocks a
/// writer), instead of in whichever commit crosses SQLite's automatic threshold: that commit would wait for the copy
/// and its fsync, and with it every request of the ingest writer's group. Every connection turns automatic
/// checkpoints off (<see cref="HubDatabase.PragmaSql"/>).
/// </summary>
internal sealed partial class WalCheckpointer(HubDatabase database, TimeProvider time, IOptions<StorageOptions> options, ILogger<WalCheckpointer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (database.Provider != StorageProvider.Sqlite)
        {
            return;
        }
        using var timer = new PeriodicTimer(options.Value.CheckpointInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    Checkpoint();
                }
                catch (SqliteException exception)
                {
                    // The next tick tries again; until then the log only grows.
                    CheckpointFailed(logger, exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Checkpoint()
    {
        using var connection = new SqliteConnection(database.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = database.PragmaSql + " PRAGMA wal_checkpoint(PASSIVE);";
        command.ExecuteNonQuery();
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "A background checkpoint of the write-ahead log failed; it is tried again")]
    private static partial void CheckpointFailed(ILogger logger, Exception exception);
}
