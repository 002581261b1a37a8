using System.Collections.Concurrent;
using System.Data.Common;
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
    public ConcurrentQueue<string> Commands { get; } = new();

    /// <summary>How many of the noted commands contain every one of <paramref name="parts"/>.</summary>
    public int Count(params string[] parts) => Commands.Count(sql => parts.All(part => sql.Contains(part, StringComparison.Ordinal)));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<IInterceptor>(new Log(Commands)));
    }

    private sealed class Log(ConcurrentQueue<string> commands) : DbCommandInterceptor
    {
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
            commands.Enqueue(command.CommandText);
            return result;
        }
    }
}
