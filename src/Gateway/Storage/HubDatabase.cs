using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace IntegrationHub.Gateway.Storage;

/// <summary>The database the configuration names, resolved once: for EF Core, and for the ingest writer's own connection.</summary>
internal sealed class HubDatabase(string connectionString, SqliteSynchronous synchronous, TimeSpan busyTimeout)
{
    public string ConnectionString { get; } = connectionString;

    /// <summary>How long a connection waits for the write lock another holds before its write fails.</summary>
    public TimeSpan BusyTimeout { get; } = busyTimeout;

    /// <summary>
    /// Per-connection settings SQLite does not persist, for every connection to run once opened. No connection
    /// checkpoints the write-ahead log at its commits: <see cref="WalCheckpointer"/> does, off every writer's path.
    /// </summary>
    public string PragmaSql { get; } = $"PRAGMA synchronous = {synchronous.ToString().ToUpperInvariant()}; PRAGMA busy_timeout = {((long)busyTimeout.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture)}; PRAGMA wal_autocheckpoint = 0;";

    /// <summary>Applies <see cref="PragmaSql"/> to every connection EF Core opens.</summary>
    public DbConnectionInterceptor Pragmas => field ??= new SqlitePragmas(PragmaSql);

    private sealed class SqlitePragmas(string sql) : DbConnectionInterceptor
    {
        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

        public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Apply(connection);
            return Task.CompletedTask;
        }

        private void Apply(DbConnection connection)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
    }
}
