using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Gateway.Storage;

/// <summary>The database. Section <c>Storage</c>.</summary>
internal sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>The SQLite connection string. Empty means <c>hub.db</c> in the data folder.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// SQLite's <c>synchronous</c> setting in WAL mode. <c>Full</c> (the default) makes every acknowledged batch survive
    /// a power loss; <c>Normal</c> survives a crash of the hub's process but may lose the last batches on a power loss.
    /// </summary>
    public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Full;

    /// <summary>How often the write-ahead log is copied into the database file, in the background.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long a connection waits for SQLite's write lock while another holds it (a backup, a maintenance script,
    /// another of the hub's writers) before its write fails.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

internal enum SqliteSynchronous
{
    Normal,
    Full,
}
