using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

internal static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// The hub's database: SQLite in the data folder (WAL) by default, or PostgreSQL (<c>Storage:Provider</c>). The model
    /// is the same on both; each provider has its migrations assembly (src/Migrations) and its ingest store
    /// (<see cref="IIngestStore"/>), and <see cref="HubDatabase"/> holds what else differs.
    /// </summary>
    public static IServiceCollection AddHubStorage(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            var hub = sp.GetRequiredService<IOptions<HubOptions>>().Value;
            var connectionString = string.IsNullOrWhiteSpace(storage.ConnectionString)
                ? new SqliteConnectionStringBuilder { DataSource = hub.DataPath("hub.db"), Pooling = true }.ToString()
                : storage.ConnectionString;
            return new HubDatabase(connectionString, storage.Synchronous, storage.BusyTimeout) { Provider = storage.Provider };
        });
        services.AddDbContext<HubDb>((sp, options) =>
            sp.GetRequiredService<HubDatabase>().Configure(options).AddInterceptors(sp.GetServices<IInterceptor>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IInterceptor, CommittedChangesInterceptor>());
        services.TryAddSingleton<IIngestStore>(sp => sp.GetRequiredService<HubDatabase>().Provider switch
        {
            StorageProvider.PostgreSql => ActivatorUtilities.CreateInstance<PostgreSqlIngestStore>(sp),
            _ => ActivatorUtilities.CreateInstance<SqliteIngestStore>(sp),
        });
        services.AddHostedService<WalCheckpointer>();
        return services;
    }

    /// <summary>Creates the data folder and brings the schema up to date; runs once at start.</summary>
    public static async Task MigrateHubStorageAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        // Keys and the bootstrap credentials live in the data folder whatever the database.
        Directory.CreateDirectory(scope.ServiceProvider.GetRequiredService<IOptions<HubOptions>>().Value.DataDirectory);
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        if (scope.ServiceProvider.GetRequiredService<HubDatabase>().Provider == StorageProvider.PostgreSql)
        {
            // EF Core creates the database if it is missing (and the user may), and holds a lock while it migrates,
            // so nodes of a cluster that start together migrate once.
            await db.Database.MigrateAsync(cancellationToken);
            return;
        }
        var path = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
        if (!string.IsNullOrEmpty(path) && path != ":memory:")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
        await db.Database.MigrateAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", cancellationToken);
    }
}
