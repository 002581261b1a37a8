using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace IntegrationHub.Gateway.Storage;

/// <summary>
/// Lets <c>dotnet ef migrations add</c> build the model without starting the hub, for the provider named after
/// <c>--</c> (<c>-- --provider PostgreSql</c>; SQLite by default). tools/db/regenerate-initial-migration.sh calls it once per provider.
/// </summary>
internal sealed class DesignTimeHubDbFactory : IDesignTimeDbContextFactory<HubDb>
{
    public HubDb CreateDbContext(string[] args)
    {
        var at = Array.IndexOf(args, "--provider");
        var provider = at >= 0 && at + 1 < args.Length ? Enum.Parse<StorageProvider>(args[at + 1], ignoreCase: true) : StorageProvider.Sqlite;
        var migrations = HubDatabase.MigrationsAssembly(provider);
        var options = new DbContextOptionsBuilder<HubDb>();
        // No database is opened to add a migration: the connection strings only name the provider.
        _ = provider == StorageProvider.PostgreSql
            ? options.UseNpgsql("Host=localhost;Database=hub", npgsql => npgsql.MigrationsAssembly(migrations))
            : options.UseSqlite("Data Source=design-time.db", sqlite => sqlite.MigrationsAssembly(migrations));
        return new HubDb(options.Options);
    }
}
