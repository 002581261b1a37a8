using System.Text.Json;
using IntegrationHub.Gateway.Storage;

namespace IntegrationHub.Gateway.Organizations;

internal static class AuditLog
{
    /// <summary>Adds an audit entry to the pending changes, so that it commits with the change it records, or not at all.</summary>
    public static void Record(this HubDb db, DateTimeOffset at, string actor, string action, string target, object? details = null) =>
        db.Audit.Add(new AuditEntry
        {
            At = at,
            Actor = actor,
            Action = action,
            Target = target,
            Details = details is null ? null : JsonSerializer.Serialize(details, JsonSerializerOptions.Web),
        });
}
