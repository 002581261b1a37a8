using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Tests.Storage;

public sealed class StorageTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    /// <summary>The checked-in migrations describe the model; a model change without a migration fails here.</summary>
    [Fact]
    public async Task Migrations_CoverTheModel()
    {
        var pending = await fixture.Hub.QueryAsync(db => Task.FromResult(db.Database.HasPendingModelChanges()));

        Assert.False(pending, "The model has changes no migration covers: run `tools/db/regenerate-initial-migration.sh` (no hub database has shipped, so the one Initial migration is regenerated).");
    }

    [Fact]
    public async Task Database_IsInWalMode_InTheDataFolder()
    {
        var mode = await fixture.Hub.QueryAsync(async db =>
        {
            await db.Database.OpenConnectionAsync();
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = "PRAGMA journal_mode";
            return (string)(await command.ExecuteScalarAsync())!;
        });

        Assert.Equal("wal", mode);
        Assert.True(File.Exists(Path.Combine(fixture.Hub.DataDirectory, "hub.db")));
    }
}
