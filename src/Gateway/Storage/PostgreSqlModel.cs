using IntegrationHub.Gateway.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace IntegrationHub.Gateway.Storage;

/// <summary>What the model has on PostgreSQL only, on top of the provider-neutral mapping beside each feature.</summary>
internal static class PostgreSqlModel
{
    public static void Apply(ModelBuilder model)
    {
        // Text compares and sorts by code point, as on SQLite (BINARY), whatever locale the database was created
        // with: keyset cursors, unique keys and the order of every listing are the same on both providers.
        foreach (var entity in model.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                if (property.ClrType == typeof(string))
                {
                    property.SetCollation("C");
                }
            }
        }

        // Telemetry arrives roughly in time order, so a BRIN index (a few pages per table) finds a time range's rows
        // without the cost of a B-tree on every insert; a device's or a metric's range uses the composite
        // (DeviceKey, Metric, ObservedAt) B-tree of the neutral model.
        model.Entity<Observation>().HasIndex(o => o.ObservedAt, "IX_observations_ObservedAt_brin").HasMethod("brin");
        model.Entity<MessageRecord>().HasIndex(m => m.ObservedAt, "IX_messages_ObservedAt_brin").HasMethod("brin");
    }
}

/// <summary>
/// Instants are stored in UTC, to the microsecond, on every provider: PostgreSQL's <c>timestamptz</c> takes only UTC
/// and keeps microseconds, and doing the same on SQLite keeps the two alike (and SQLite's text in time order).
/// </summary>
internal sealed class UtcInstant() : ValueConverter<DateTimeOffset, DateTimeOffset>(
    value => new DateTimeOffset(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerMicrosecond), TimeSpan.Zero),
    value => value.ToUniversalTime());
