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
    /// The hub's database: EF Core on SQLite in the data folder (WAL). This is where a second provider plugs in:
    /// the model is provider-neutral, and only the ingest store (<see cref="IIngestStore"/>) is provider-specific.
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
            return new HubDatabase(connectionString, storage.Synchronous, storage.BusyTimeout);
        });
        services.AddDbContext<HubDb>((sp, options) =>
        {
            var database = sp.GetRequiredService<HubDatabase>();
            options.UseSqlite(database.ConnectionString).AddInterceptors(database.Pragmas).AddInterceptors(sp.GetServices<IInterceptor>());
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IInterceptor, CommittedChangesInterceptor>());
        services.TryAddSingleton<IIngestStore, SqliteIngestStore>();
        services.AddHostedService<WalCheckpointer>();
        return services;
    }

    /// <summary>Creates the data folder and brings the schema up to date; runs once at start.</summary>
    public static async Task MigrateHubStorageAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        var path = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
        if (!string.IsNullOrEmpty(path) && path != ":memory:")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
        await db.Database.MigrateAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", cancellationToken);
    }
}
