using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.Infrastructure;

/// <summary>
/// A hub that notes the SQL of every command it sends through EF Core, for tests of what a feature costs the database
/// (ingest's own batch write goes around EF Core and is not noted).
/// </summary>
public class CommandLogHub(Dictionary<string, string?>? settings = null) : HubFactory(null, settings ?? [])
{
    private readonly ConcurrentQueue<(string Sql, long? Transaction)> _log = new();

    /// <summary>How many of the noted commands contain every one of <paramref name="parts"/>.</summary>
    public int Count(params string[] parts) => _log.Count(c => Matches(c.Sql, parts));

    /// <summary>The noted commands that contain every one of <paramref name="parts"/>, in the order they ran.</summary>
    public List<string> Commands(params string[] parts) => [.. _log.Where(c => Matches(c.Sql, parts)).Select(c => c.Sql)];

    /// <summary>In how many transactions the noted commands that contain every one of <paramref name="parts"/> ran (one each outside a transaction).</summary>
    public int Transactions(params string[] parts) =>
        _log.Where(c => Matches(c.Sql, parts)).Select((c, i) => c.Transaction ?? -1 - i).Distinct().Count();

    private static bool Matches(string sql, string[] parts) => parts.All(part => sql.Contains(part, StringComparison.Ordinal));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<IInterceptor>(new Log(_log)));
    }

    private sealed class Log(ConcurrentQueue<(string Sql, long? Transaction)> commands) : DbCommandInterceptor
    {
        private readonly ConditionalWeakTable<DbTransaction, StrongBox<long>> _transactions = [];
        private long _lastTransaction;

        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result) =>
            Note(command, result);

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Note(command, result));

        public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result) =>
            Note(command, result);

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Note(command, result));

        private T Note<T>(DbCommand command, T result)
        {
            var transaction = command.Transaction is { } t ? _transactions.GetValue(t, _ => new(Interlocked.Increment(ref _lastTransaction))).Value : (long?)null;
            commands.Enqueue((command.CommandText, transaction));
            return result;
        }
    }
}
