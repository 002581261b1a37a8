using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Gateway.Storage;

/// <summary>The database. Section <c>Storage</c>.</summary>
internal sealed class StorageOptions : IValidatableObject
{
    public const string Section = "Storage";

    /// <summary>
    /// Which database holds the hub's state: <c>Sqlite</c> (embedded, the default: one file in the data folder) or
    /// <c>PostgreSql</c> (a server, which several hub nodes may share).
    /// </summary>
    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>
    /// The connection string, in the provider's syntax. For SQLite, empty means <c>hub.db</c> in the data folder; for
    /// PostgreSQL it is required (<c>Host=…;Database=…;Username=…;Password=…</c>; the database is created if the user may).
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// SQLite's <c>synchronous</c> setting in WAL mode. <c>Full</c> (the default) makes every acknowledged batch survive
    /// a power loss; <c>Normal</c> survives a crash of the hub's process but may lose the last batches on a power loss.
    /// PostgreSQL makes a commit durable by its own settings (<c>synchronous_commit</c>, on by default).
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

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Provider == StorageProvider.PostgreSql && string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new ValidationResult("Storage:Provider PostgreSql needs Storage:ConnectionString (Host=…;Database=…;Username=…;Password=…).", [nameof(ConnectionString)]);
        }
    }
}

/// <summary>The database providers the hub runs on; each has its migrations assembly and its ingest store.</summary>
internal enum StorageProvider
{
    Sqlite,
    PostgreSql,
}

internal enum SqliteSynchronous
{
    Normal,
    Full,
}
