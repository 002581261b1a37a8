using System.Data.Common;
using System.Net;
using System.Text.Json;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Telemetry.Aggregates;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using SQLitePCL;
using static IntegrationHub.Gateway.Tests.Infrastructure.HubClient;

namespace IntegrationHub.Gateway.Tests.Telemetry;

/// <summary>
/// What a retention pass costs: it reads what is due, not what a longer retention keeps. The work of each statement a
/// pass issues is measured by running it again first, under a savepoint that is rolled back: on PostgreSQL the rows its
/// plan's scans visit (EXPLAIN ANALYZE), on SQLite the steps of its virtual machine, which grow with the rows it visits.
/// </summary>
[Trait(TestStorage.Trait, TestStorage.BothProviders)]
public sealed class RetentionCostTests
{
    private const int Kept = 2_000;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RetentionPass_CostsNoMore_ForRowsALongerRetentionKeeps()
    {
        await using var hub = new CostHub();
        hub.StartServer();
        using var client = await hub.TenantAsync(HubFixture.Unique("retention-cost"), "k1");
        // Methane (the gas domain) is kept 90 days, everything else 30: these readings are older than the 30 days, and kept.
        var old = hub.Time.GetUtcNow().AddDays(-40);

        async Task<long> PassAfterAsync(int round)
        {
            for (var sent = 0; sent < Kept; sent += 1000)
            {
                using var posted = await client.PostBatchAsync([.. Enumerable.Range(sent, 1000).Select(i => Methane($"k1-{round}-{i}", "k1", time: old.AddSeconds(-i)))]);
                Assert.Equal(1000, (await posted.ShouldBeAsync(HttpStatusCode.OK))["accepted"]!.GetValue<int>());
            }
            await hub.Services.GetRequiredService<AlertEngine>().CaughtUpAsync(Cancel);
            await hub.Services.GetRequiredService<TelemetryRoller>().RollAsync(Cancel);
            return await hub.MeasureAsync(async () =>
            {
                var (observations, messages, _) = await hub.Services.GetRequiredService<TelemetryRetention>().PruneAsync(Cancel);
                Assert.Equal((0L, 0L), (observations, messages));
            });
        }

        var first = await PassAfterAsync(1);
        var second = await PassAfterAsync(2);

        // Another 2,000 kept observations and receipts: a pass that stepped over them would cost thousands more.
        Assert.True(second - first < Kept / 4, $"the pass cost {first} with {Kept} rows kept, {second} with {2 * Kept}");
    }

    /// <summary>A hub that measures the statements run inside <see cref="MeasureAsync"/>.</summary>
    private sealed class CostHub() : HubFactory(null, [])
    {
        private readonly AsyncLocal<StrongBox?> _measuring = new();

        public async Task<long> MeasureAsync(Func<Task> pass)
        {
            var box = new StrongBox();
            _measuring.Value = box;
            try
            {
                await pass();
            }
            finally
            {
                _measuring.Value = null;
            }
            return box.Value;
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddSingleton<IInterceptor>(new Meter(_measuring)));
        }

        private sealed class StrongBox
        {
            public long Value;
        }

        private sealed class Meter(AsyncLocal<StrongBox?> measuring) : DbCommandInterceptor
        {
            public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
                DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default) =>
                MeasureAsync(command, result, cancellationToken);

            public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
                DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default) =>
                MeasureAsync(command, result, cancellationToken);

            public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(
                DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default) =>
                MeasureAsync(command, result, cancellationToken);

            private async ValueTask<T> MeasureAsync<T>(DbCommand command, T result, CancellationToken cancellationToken)
            {
                if (measuring.Value is { } box)
                {
                    box.Value += command is SqliteCommand sqlite ? SqliteSteps(sqlite) : await PostgreSqlRowsAsync(command, cancellationToken);
                }
                return result;
            }

            /// <summary>The virtual machine steps of the command's one statement, run under a savepoint rolled back.</summary>
            private static long SqliteSteps(SqliteCommand command)
            {
                var db = command.Connection!.Handle!;
                Check(db, raw.sqlite3_exec(db, "SAVEPOINT cost"));
                try
                {
                    Check(db, raw.sqlite3_prepare_v2(db, command.CommandText, out var statement));
                    using (statement)
                    {
                        foreach (SqliteParameter parameter in command.Parameters)
                        {
                            var index = raw.sqlite3_bind_parameter_index(statement, parameter.ParameterName);
                            Check(db, parameter.Value switch
                            {
                                null or DBNull => raw.sqlite3_bind_null(statement, index),
                                long or int or short or bool => raw.sqlite3_bind_int64(statement, index, Convert.ToInt64(parameter.Value, System.Globalization.CultureInfo.InvariantCulture)),
                                double d => raw.sqlite3_bind_double(statement, index, d),
                                _ => raw.sqlite3_bind_text(statement, index, Convert.ToString(parameter.Value, System.Globalization.CultureInfo.InvariantCulture)),
                            });
                        }
                        int step;
                        while ((step = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
                        {
                        }
                        Assert.Equal(raw.SQLITE_DONE, step);
                        return raw.sqlite3_stmt_status(statement, raw.SQLITE_STMTSTATUS_VM_STEP, 0);
                    }
                }
                finally
                {
                    Check(db, raw.sqlite3_exec(db, "ROLLBACK TO cost; RELEASE cost"));
                }
            }

            private static int Check(sqlite3 db, int code)
            {
                Assert.True(code == raw.SQLITE_OK, raw.sqlite3_errmsg(db).utf8_to_string());
                return code;
            }

            /// <summary>The rows the scans of the command's plan visit (returned, or removed by a filter), run under a savepoint rolled back.</summary>
            private static async Task<long> PostgreSqlRowsAsync(DbCommand command, CancellationToken cancellationToken)
            {
                var connection = command.Connection!;
                var own = command.Transaction is null ? await connection.BeginTransactionAsync(cancellationToken) : null;
                var transaction = own ?? command.Transaction!;
                await transaction.SaveAsync("cost", cancellationToken);
                try
                {
                    await using var explain = connection.CreateCommand();
                    explain.Transaction = transaction;
                    explain.CommandText = "EXPLAIN (ANALYZE, FORMAT JSON) " + command.CommandText;
                    foreach (DbParameter parameter in command.Parameters)
                    {
                        explain.Parameters.Add(((ICloneable)parameter).Clone());
                    }
                    using var plan = JsonDocument.Parse((string)(await explain.ExecuteScalarAsync(cancellationToken))!);
                    return Visited(plan.RootElement[0].GetProperty("Plan"));
                }
                finally
                {
                    await transaction.RollbackAsync("cost", cancellationToken);
                    await transaction.ReleaseAsync("cost", cancellationToken);
                    if (own is not null)
                    {
                        await own.RollbackAsync(cancellationToken);
                        await own.DisposeAsync();
                    }
                }
            }

            private static long Visited(JsonElement node)
            {
                var visited = 0L;
                if (node.GetProperty("Node Type").GetString()!.Contains("Scan", StringComparison.Ordinal))
                {
                    double Read(string name) => node.TryGetProperty(name, out var value) ? value.GetDouble() : 0;
                    visited += (long)((Read("Actual Rows") + Read("Rows Removed by Filter") + Read("Rows Removed by Index Recheck")) * Math.Max(1, Read("Actual Loops")));
                }
                if (node.TryGetProperty("Plans", out var children))
                {
                    foreach (var child in children.EnumerateArray())
                    {
                        visited += Visited(child);
                    }
                }
                return visited;
            }
        }
    }
}
