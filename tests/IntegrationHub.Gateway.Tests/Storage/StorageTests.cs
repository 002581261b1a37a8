using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Tests.Storage;

[Trait(TestStorage.Trait, TestStorage.BothProviders)]
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
        Assert.SkipWhen(TestStorage.IsPostgreSql, "SQLite's file and journal; this run stores in PostgreSQL.");
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

    /// <summary>The PostgreSQL provider needs a server to talk to: saying so at start beats failing at the first request.</summary>
    [Fact]
    public async Task PostgreSql_WithoutAConnectionString_RefusesToStart()
    {
        await using var hub = new HubFactory(null, new() { ["Storage:Provider"] = "PostgreSql", ["Storage:ConnectionString"] = "" });

        var failure = Assert.ThrowsAny<Exception>(hub.StartServer);

        Assert.Contains("Storage:ConnectionString", failure.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Time ranges over the time-series tables stay cheap as they grow: a BRIN index on observation time beside the composite B-tree.</summary>
    [Fact]
    public async Task OnPostgreSql_TimeSeriesTables_HaveIndexesForTimeRanges()
    {
        Assert.SkipUnless(TestStorage.IsPostgreSql, "PostgreSQL's index kinds; this run stores in SQLite.");
        await using var db = TestStorage.Open(fixture.Hub.DataDirectory);
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT tablename || ': ' || indexdef FROM pg_indexes WHERE tablename IN ('observations', 'messages')";
        var indexes = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                indexes.Add(reader.GetString(0));
            }
        }

        Assert.Contains(indexes, i => i.StartsWith("observations: ", StringComparison.Ordinal) && i.EndsWith("USING brin (\"ObservedAt\")", StringComparison.Ordinal));
        Assert.Contains(indexes, i => i.StartsWith("messages: ", StringComparison.Ordinal) && i.EndsWith("USING brin (\"ObservedAt\")", StringComparison.Ordinal));
        Assert.Contains(indexes, i => i.StartsWith("observations: ", StringComparison.Ordinal) && i.EndsWith("USING btree (\"DeviceKey\", \"Metric\", \"ObservedAt\")", StringComparison.Ordinal));
    }
}
