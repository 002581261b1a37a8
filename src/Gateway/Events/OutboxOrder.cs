using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Events;

/// <summary>
/// Keeps outbox ids in commit order on PostgreSQL, where they are subscribers' cursors (<see cref="OutboxEvent"/>).
/// Its transactions run side by side, so one that drew a lower id could commit after one that drew a higher id, and
/// a reader that had moved past the higher would never see the lower. Every transaction that adds events therefore
/// holds one transaction-scoped advisory lock from before it draws an id until it commits: events commit one
/// transaction after another, as they do on SQLite (one writer at a time), where this costs nothing and does nothing.
/// </summary>
internal static class OutboxOrder
{
    // A key of the hub's own ("IHUBOBX1"), for pg_advisory_xact_lock(bigint); no other lock uses it.
    public const long LockKey = 0x4948_5542_4F42_5831;

    /// <summary>The statement that takes the lock, for a transaction written outside EF Core (the ingest store).</summary>
    public static readonly string LockSql = FormattableString.Invariant($"SELECT pg_advisory_xact_lock({LockKey})");

    /// <summary>Takes the lock in the context's transaction (which must be open) before it adds events.</summary>
    public static async Task HoldAsync(HubDb db, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql())
        {
            if (db.Database.CurrentTransaction is null)
            {
                throw new InvalidOperationException("The outbox lock is held until a transaction commits; open one first.");
            }
            await db.Database.ExecuteSqlRawAsync(LockSql, cancellationToken);
        }
    }
}
