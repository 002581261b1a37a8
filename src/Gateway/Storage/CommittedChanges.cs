using System.Data.Common;
using System.Runtime.CompilerServices;
using IntegrationHub.Gateway.Cluster;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace IntegrationHub.Gateway.Storage;

/// <summary>
/// An in-memory view of stored rows (a cache the hot path reads instead of the database) that must hear of every
/// change to them. It is told once the change is committed, before the request that made it is answered, so the next
/// request sees it. Only changes made through <see cref="DbContext.SaveChanges()"/> are seen: the entities it watches
/// are never changed with <c>ExecuteUpdate</c>, <c>ExecuteDelete</c> or raw SQL.
/// </summary>
internal interface IChangeListener
{
    /// <summary>The entity types whose changes the listener hears of.</summary>
    IReadOnlyCollection<Type> Watches { get; }

    /// <summary>Entities added, changed or removed by one committed save (or transaction); never throws.</summary>
    void Committed(IReadOnlyList<object> entities);

    /// <summary>Forgets everything held: another node of a cluster changed rows of a watched type (ClusterSignals).</summary>
    void ForgetAll();
}

/// <summary>
/// Collects the watched entities each save changes and hands them to the <see cref="IChangeListener"/>s once they
/// are committed: at once for a save of its own, at the commit of the transaction it ran in, never for one rolled back.
/// </summary>
internal sealed class CommittedChangesInterceptor(IEnumerable<IChangeListener> listeners, ClusterSignals cluster) : SaveChangesInterceptor, IDbTransactionInterceptor
{
    private readonly IChangeListener[] _listeners = [.. listeners];
    private readonly HashSet<Type> _watched = [.. listeners.SelectMany(l => l.Watches)];

    // What each context saved and has not committed yet; a context lives in one request at a time.
    private readonly ConditionalWeakTable<DbContext, List<object>> _pending = [];

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Collect(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Collect(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Saved(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Saved(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Publish(eventData.Context);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Publish(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Discard(eventData.Context);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Discard(eventData.Context);
        return Task.CompletedTask;
    }

    private void Collect(DbContext? context)
    {
        if (context is null || _watched.Count == 0)
        {
            return;
        }
        foreach (var entry in context.ChangeTracker.Entries())
        {
            if (entry.State is EntityState.Added or EntityState.Modified or EntityState.Deleted && _watched.Contains(entry.Metadata.ClrType))
            {
                _pending.GetOrCreateValue(context).Add(entry.Entity);
            }
        }
    }

    private void Saved(DbContext? context)
    {
        // A save outside a transaction committed on its own.
        if (context is not null && context.Database.CurrentTransaction is null)
        {
            Publish(context);
        }
    }

    private void Publish(DbContext? context)
    {
        if (context is null || !_pending.TryGetValue(context, out var entities))
        {
            return;
        }
        _pending.Remove(context);
        foreach (var listener in _listeners)
        {
            listener.Committed(entities);
        }
        cluster.Changed(entities);
    }

    private void Discard(DbContext? context)
    {
        if (context is not null)
        {
            _pending.Remove(context);
        }
    }
}
