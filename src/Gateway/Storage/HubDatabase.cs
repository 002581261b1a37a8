using System.Data.Common;
using System.Reflection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace IntegrationHub.Gateway.Storage;

/// <summary>
/// The database the configuration names, resolved once: for EF Core, and for the ingest writer's own connection.
/// Everything that differs between the providers, other than the ingest store and the migrations, is here.
/// </summary>
internal sealed class HubDatabase(string connectionString, SqliteSynchronous synchronous, TimeSpan busyTimeout) : IAsyncDisposable
{
    private static readonly Lazy<Assembly> SqliteMigrations = new(() => Load(StorageProvider.Sqlite));
    private static readonly Lazy<Assembly> PostgreSqlMigrations = new(() => Load(StorageProvider.PostgreSql));

    private readonly Lock _gate = new();
    private NpgsqlDataSource? _dataSource;

    public StorageProvider Provider { get; init; } = StorageProvider.Sqlite;

    public string ConnectionString { get; } = connectionString;

    /// <summary>How long a connection waits for the write lock another holds before its write fails.</summary>
    public TimeSpan BusyTimeout { get; } = busyTimeout;

    /// <summary>
    /// Per-connection settings SQLite does not persist, for every connection to run once opened. No connection
    /// checkpoints the write-ahead log at its commits: <see cref="WalCheckpointer"/> does, off every writer's path.
    /// </summary>
    public string PragmaSql { get; } = $"PRAGMA synchronous = {synchronous.ToString().ToUpperInvariant()}; PRAGMA busy_timeout = {((long)busyTimeout.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture)}; PRAGMA wal_autocheckpoint = 0;";

    /// <summary>
    /// Opens a SQLite connection of the caller's own, outside the pool, with <see cref="PragmaSql"/> and then
    /// <paramref name="pragmas"/> applied: for a component that keeps one connection and its prepared statements for
    /// its whole life (the ingest writer, the outbox reader). Closing it, after a failure, rolls back whatever it left open.
    /// </summary>
    public SqliteConnection OpenOwnSqlite(string pragmas = "")
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(ConnectionString) { Pooling = false }.ToString());
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = PragmaSql + pragmas;
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Applies <see cref="PragmaSql"/> to every connection EF Core opens.</summary>
    public DbConnectionInterceptor Pragmas => field ??= new SqlitePragmas(PragmaSql);

    /// <summary>
    /// PostgreSQL's connection pool, one for EF Core and the ingest store alike. Statements a connection runs again and
    /// again (every query of EF Core's, the ingest writer's) are prepared on the server after a few runs, unless the
    /// connection string sets <c>Max Auto Prepare</c> itself.
    /// </summary>
    public NpgsqlDataSource DataSource
    {
        get
        {
            lock (_gate)
            {
                if (_dataSource is null)
                {
                    var builder = new NpgsqlDataSourceBuilder(ConnectionString);
                    if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
                    {
                        builder.ConnectionStringBuilder.MaxAutoPrepare = 256;
                    }
                    _dataSource = builder.Build();
                }
                return _dataSource;
            }
        }
    }

    /// <summary>The assembly that holds a provider's migrations (src/Migrations), by name.</summary>
    public static string MigrationsAssembly(StorageProvider provider) => $"IntegrationHub.Migrations.{provider}";

    /// <summary>Points EF Core at this database, with the migrations of its provider.</summary>
    public DbContextOptionsBuilder Configure(DbContextOptionsBuilder options) => Provider switch
    {
        StorageProvider.PostgreSql => options.UseNpgsql(DataSource, npgsql => npgsql.MigrationsAssembly(PostgreSqlMigrations.Value)),
        _ => options.UseSqlite(ConnectionString, sqlite => sqlite.MigrationsAssembly(SqliteMigrations.Value)).AddInterceptors(Pragmas),
    };

    public async ValueTask DisposeAsync()
    {
        NpgsqlDataSource? dataSource;
        lock (_gate)
        {
            (dataSource, _dataSource) = (_dataSource, null);
        }
        if (dataSource is not null)
        {
            await dataSource.DisposeAsync();
        }
    }

    // The migrations assemblies reference the hub, so the hub cannot reference them: its build copies them beside it,
    // outside its dependency manifest, and they are loaded from there.
    private static Assembly Load(StorageProvider provider) =>
        Assembly.LoadFrom(Path.Combine(AppContext.BaseDirectory, MigrationsAssembly(provider) + ".dll"));

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
