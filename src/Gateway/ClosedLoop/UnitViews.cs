using System.ComponentModel;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>Who did something: the id of the person or client, and the name to show (LOOP-003).</summary>
internal sealed record ActorRef(string Id, string? Name)
{
    public static ActorRef? Of(string? id, IReadOnlyDictionary<string, string> names) =>
        id is null || id == AlertRouting.Engine ? null : new ActorRef(id, names.GetValueOrDefault(id));
}

/// <summary>
/// A responsible unit of an alert, with its own state and deadlines. <c>acknowledgeBy</c> and <c>resolveBy</c> are the
/// deadlines still running for the unit (ALR-003): they are given while the unit has yet to take that step and the
/// alert is still being handled.
/// </summary>
internal sealed record UnitResponse(
    [property: Description("The responsible organization: a city bureau, a district department or an enterprise.")] string OrganizationId,
    string OrganizationName,
    [property: Description("lead (牵头) or participant (按职责分工负责).")] string Role,
    [property: Description("routed, acknowledged, resolved; removed when the operator took the unit off the alert.")] string State,
    [property: Description("The routing-table line that routed the unit; absent when the operator added it.")] long? RouteId,
    DateTimeOffset RoutedAt,
    [property: Description("Who added the unit; absent when the routing table did, at the raise.")] ActorRef? RoutedBy,
    DateTimeOffset? AcknowledgeBy,
    DateTimeOffset? ResolveBy,
    DateTimeOffset? AcknowledgedAt,
    ActorRef? AcknowledgedBy,
    [property: Description("The person of the unit who handles its share.")] ActorRef? Assignee,
    DateTimeOffset? AssignedAt,
    ActorRef? AssignedBy,
    DateTimeOffset? ResolvedAt,
    ActorRef? ResolvedBy,
    [property: Description("What the unit found and did.")] string? Measures,
    DateTimeOffset? RemovedAt,
    ActorRef? RemovedBy);

/// <summary>Reads alerts' units for the answers of the alert API.</summary>
internal static class UnitViews
{
    /// <summary>The units of these alerts, leads first; removed units only when <paramref name="removed"/>.</summary>
    public static async Task<Dictionary<long, List<UnitResponse>>> LoadAsync(HubDb db, IReadOnlyCollection<Alert> alerts, bool removed, CancellationToken cancellationToken)
    {
        var ids = alerts.Select(a => a.Id).ToList();
        var rows = await db.AlertUnits.AsNoTracking()
            .Where(u => ids.Contains(u.AlertId) && (removed || u.State != UnitState.Removed))
            .Join(db.Organizations, u => u.OrganizationId, o => o.Id, (u, o) => new { Unit = u, o.Name })
            .ToListAsync(cancellationToken);
        var names = await ActorNames.LookupAsync(db,
            rows.SelectMany(r => new[] { r.Unit.RoutedBy, r.Unit.AcknowledgedBy, r.Unit.AssigneeId, r.Unit.AssignedBy, r.Unit.ResolvedBy, r.Unit.RemovedBy }), cancellationToken);
        var running = alerts.ToDictionary(a => a.Id, AlertDeadlines.Running);
        return rows
            .GroupBy(r => r.Unit.AlertId)
            .ToDictionary(g => g.Key, g => g
                .OrderBy(r => r.Unit.State == UnitState.Removed).ThenBy(r => r.Unit.Role).ThenBy(r => r.Unit.Id)
                .Select(r => From(r.Unit, r.Name, running[g.Key], names))
                .ToList());
    }

    public static UnitResponse From(AlertUnit u, string organizationName, bool running, IReadOnlyDictionary<string, string> names) => new(
        u.OrganizationId, organizationName, u.Role.ToWire(), u.State.ToWire(), u.RouteId, Ms(u.RoutedAt), ActorRef.Of(u.RoutedBy, names),
        running && u.State == UnitState.Routed ? Ms(u.AcknowledgeDue) : null,
        running && u.State is UnitState.Routed or UnitState.Acknowledged ? Ms(u.ResolveDue) : null,
        Ms(u.AcknowledgedAt), ActorRef.Of(u.AcknowledgedBy, names), ActorRef.Of(u.AssigneeId, names), Ms(u.AssignedAt), ActorRef.Of(u.AssignedBy, names), Ms(u.ResolvedAt), ActorRef.Of(u.ResolvedBy, names), u.Measures,
        Ms(u.RemovedAt), ActorRef.Of(u.RemovedBy, names));

    private static DateTimeOffset Ms(long value) => DateTimeOffset.FromUnixTimeMilliseconds(value);

    private static DateTimeOffset? Ms(long? value) => value is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
}
