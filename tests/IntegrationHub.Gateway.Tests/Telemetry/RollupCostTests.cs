using System.Data.Common;
using System.Globalization;
using System.Net;
using IntegrationHub.Gateway.Telemetry.Aggregates;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Telemetry;

/// <summary>
/// What the rollups cost the rest of the hub: the roller's write transactions stay short however large its backlog (on
/// SQLite ingest waits behind each), and an aggregate query ends however often the roller commits while it reads.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class RollupCostTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static string Query(DateTimeOffset time) => Uri.EscapeDataString(time.ToString("O", CultureInfo.InvariantCulture));

    private static async Task SendAsync(HttpClient client, string device, int count, DateTimeOffset end)
    {
        for (var sent = 0; sent < count; sent += 1000)
        {
            var batch = Enumerable.Range(sent, Math.Min(1000, count - sent))
                .Select(i => Methane($"{device}-{i}", device, i % 10, time: end.AddSeconds(-i))).ToArray();
            using var posted = await client.PostBatchAsync(batch);
            await posted.ShouldBeAsync(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task Roller_FoldsABacklog_InTransactionsOfAtMostFiveThousandObservations()
    {
        // The default batch: 50,000 observations held SQLite's write lock for over a second, 5,000 for a fifth of one.
        await using var hub = new CommandLogHub();
        hub.StartServer();
        using var client = await hub.TenantAsync(HubFixture.Unique("rollup-batch"), "b1");
        await SendAsync(client, "b1", 12_000, hub.Time.GetUtcNow());

        await hub.Services.GetRequiredService<TelemetryRoller>().RollAsync(Cancel);

        Assert.Equal(
            await hub.QueryAsync(db => db.Observations.MaxAsync(o => o.Id, Cancel)),
            await hub.QueryAsync(db => TelemetryRoller.WatermarkAsync(db, Cancel)));
        // Each transaction upserts both widths; 12,000 observations take three.
        Assert.Equal(3, hub.Transactions("INSERT INTO \"telemetry_rollups\""));
    }

    [Fact]
    public async Task RollsAtOnce_FoldEveryObservationOnce()
    {
        await using var hub = new HubFactory();
        hub.StartServer();
        using var client = await hub.TenantAsync(HubFixture.Unique("rollup-race"), "r1");
        await SendAsync(client, "r1", 3_000, hub.Time.GetUtcNow());

        // The schedule's roll and a caller's, side by side (on PostgreSQL both read the same watermark).
        var roller = hub.Services.GetRequiredService<TelemetryRoller>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => roller.RollAsync(Cancel), Cancel)));

        Assert.Equal(3_000, await hub.QueryAsync(db => db.Rollups.Where(r => r.Width == RollupWidths.Minute).SumAsync(r => r.Count, Cancel)));
        Assert.Equal(3_000, await hub.QueryAsync(db => db.Rollups.Where(r => r.Width == RollupWidths.Hour).SumAsync(r => r.Count, Cancel)));
    }

    [Fact]
    public async Task Aggregates_End_ThoughTheRollerCommitsDuringEveryRead()
    {
        await using var hub = new MovingWatermarkHub();
        hub.StartServer();
        using var client = await hub.TenantAsync(HubFixture.Unique("rollup-moving"), "w1");
        var now = hub.Time.GetUtcNow();
        await SendAsync(client, "w1", 30, now);
        await hub.Services.GetRequiredService<TelemetryRoller>().RollAsync(Cancel);
        // And a tail the roller has not folded.
        using (var posted = await client.PostBatchAsync(Methane("w1-late", "w1", 9, time: now.AddMinutes(-5))))
        {
            await posted.ShouldBeAsync(HttpStatusCode.OK);
        }

        hub.Moving = true;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using var response = await client.GetAsync(
            new Uri($"/v1/telemetry/aggregates?device=w1&metric=ch4&bucket=1d&from={Query(now.AddHours(-1))}&to={Query(now)}", UriKind.Relative), timeout.Token);
        var answer = await response.ShouldBeAsync(HttpStatusCode.OK);

        Assert.True(hub.Moves > 0, "the watermark moved during the read");
        var counts = answer["series"]!.AsArray().Single()!["points"]!.AsArray().Sum(p => p!["count"]!.GetValue<long>());
        Assert.Equal(31, counts);
    }

    /// <summary>
    /// A hub whose rollup watermark moves, from another connection, just before every read of the rollups, as if the
    /// roller committed a batch each time.
    /// </summary>
    private sealed class MovingWatermarkHub() : HubFactory(null, [])
    {
        private int _moves;

        public bool Moving { get; set; }

        public int Moves => _moves;

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddSingleton<IInterceptor>(new Mover(this)));
        }

        private sealed class Mover(MovingWatermarkHub hub) : DbCommandInterceptor
        {
            public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
                DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
            {
                // A read of the rollups (quoted on SQLite, not on PostgreSQL, which folds the name anyway).
                if (hub.Moving && (command.CommandText.Contains("FROM \"telemetry_rollups\"", StringComparison.Ordinal) || command.CommandText.Contains("FROM telemetry_rollups", StringComparison.Ordinal)))
                {
                    await hub.QueryAsync(db => db.Cursors.Where(c => c.Name == TelemetryRoller.CursorName)
                        .ExecuteUpdateAsync(s => s.SetProperty(c => c.Position, c => c.Position + 1), cancellationToken));
                    Interlocked.Increment(ref hub._moves);
                }
                return result;
            }
        }
    }
}
