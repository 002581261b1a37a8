using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Gateway.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace IntegrationHub.Testing;

/// <summary>
/// The database the hubs of a test run keep their state in. SQLite by default: a file in each hub's data folder. With
/// <c>IHUB_STORAGE=PostgreSql</c>, a PostgreSQL database of each hub's own on the server <c>IHUB_POSTGRES</c> names
/// (test.sh starts a throwaway one): the same suite, on the other provider. A database is named after the hub's data
/// folder, so a hub started again on the same folder (a restart, a crash test) finds its state there too.
/// </summary>
public static class TestStorage
{
    public const string ProviderVariable = "IHUB_STORAGE";
    public const string ServerVariable = "IHUB_POSTGRES";

    /// <summary>
    /// The trait of the test classes test.sh runs a second time on PostgreSQL (<c>--filter-trait Storage=SqliteAndPostgreSql</c>):
    /// ingest with its duplicates and per-message results, the group commit, the crash test, alerts, tenancy, the schema.
    /// </summary>
    public const string Trait = "Storage";

    public const string BothProviders = "SqliteAndPostgreSql";

    /// <summary>Whether this run's hubs store in PostgreSQL.</summary>
    public static bool IsPostgreSql { get; } =
        string.Equals(Environment.GetEnvironmentVariable(ProviderVariable), nameof(StorageProvider.PostgreSql), StringComparison.OrdinalIgnoreCase);

    private static readonly Lazy<string> Template = new(CreateTemplate);
    private static readonly Lock Gate = new();

    /// <summary>
    /// The hub's storage settings (configuration keys, <c>Storage:…</c>) for a hub whose data folder is
    /// <paramref name="dataDirectory"/>: none on SQLite; on PostgreSQL the provider and the connection string of its database.
    /// </summary>
    public static IReadOnlyDictionary<string, string> SettingsFor(string dataDirectory)
    {
        if (!IsPostgreSql)
        {
            return new Dictionary<string, string>();
        }
        return new Dictionary<string, string>
        {
            ["Storage:Provider"] = nameof(StorageProvider.PostgreSql),
            ["Storage:ConnectionString"] = ConnectionStringFor(dataDirectory),
        };
    }

    /// <summary>The connection string of the database of the hub whose data folder is <paramref name="dataDirectory"/>; created empty (migrated) if missing.</summary>
    public static string ConnectionStringFor(string dataDirectory)
    {
        var name = "ihub_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))))[..20];
        var template = Template.Value;
        lock (Gate)
        {
            using var connection = new NpgsqlConnection(Server(database: "postgres"));
            connection.Open();
            using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = name } } };
            if (exists.ExecuteScalar() is null)
            {
                // A copy of a migrated database: the hub finds its schema up to date, in a fraction of the time migrating takes.
                using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"", connection);
                create.ExecuteNonQuery();
            }
        }
        return Server(name);
    }

    /// <summary>
    /// A connection of the test's own, opened, to the database of the hub whose data folder is
    /// <paramref name="dataDirectory"/>: to look at what the hub stored, or to hold a lock the hub waits for.
    /// </summary>
    public static DbConnection Open(string dataDirectory)
    {
        DbConnection connection = IsPostgreSql
            ? new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionStringFor(dataDirectory)) { Pooling = false }.ToString())
            : new SqliteConnection($"Data Source={Path.Combine(dataDirectory, "hub.db")};Pooling=False");
        connection.Open();
        return connection;
    }

    private static string Server(string database)
    {
        var server = Environment.GetEnvironmentVariable(ServerVariable);
        if (string.IsNullOrEmpty(server))
        {
            throw new InvalidOperationException(
                $"{ProviderVariable}=PostgreSql needs {ServerVariable}, a connection string to a PostgreSQL server on which the tests may create databases (test.sh starts one: tools/db/throwaway-postgres.sh).");
        }
        return new NpgsqlConnectionStringBuilder(server) { Database = database }.ToString();
    }

    // One migrated database per test process, for the hubs' databases to be copied from; a process of its own, since
    // another test process may run another build's schema against the same server.
    private static string CreateTemplate()
    {
        var name = $"ihub_template_{Environment.ProcessId}_{Guid.NewGuid():N}"[..40];
        var database = new HubDatabase(new NpgsqlConnectionStringBuilder(Server(name)) { Pooling = false }.ToString(), SqliteSynchronous.Full, TimeSpan.FromSeconds(30)) { Provider = StorageProvider.PostgreSql };
        try
        {
            var options = new DbContextOptionsBuilder<HubDb>();
            database.Configure(options);
            using var db = new HubDb(options.Options);
            db.Database.Migrate();
        }
        finally
        {
            database.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return name;
    }
}
