using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>One unit of an alert as its events and answers carry it.</summary>
internal sealed record UnitSnapshot(string OrganizationId, string? Name, UnitRole Role, UnitState State, string? Assignee);

/// <summary>What the alert book needs to render a save's events: each alert's units, and the actors' names.</summary>
internal sealed class LoopSnapshot(IReadOnlyDictionary<long, List<UnitSnapshot>> units, IReadOnlyDictionary<string, string> names, ILookup<long, string>? supervisors = null)
{
    public static readonly LoopSnapshot Empty = new(new Dictionary<long, List<UnitSnapshot>>(), new Dictionary<string, string>());

    /// <summary>The organizations other than the operator that the alert's supervision chain told (LOOP-005).</summary>
    public IEnumerable<string> SupervisorsOf(long alertId) => supervisors?[alertId] ?? [];

    /// <summary>The alert's units that have not been removed, leads first.</summary>
    public IReadOnlyList<UnitSnapshot> UnitsOf(long alertId) => units.TryGetValue(alertId, out var list) ? list : [];

    public string? NameOf(string? actor) => actor is not null && names.TryGetValue(actor, out var name) ? name : null;
}

/// <summary>
/// The responsible units of alerts (LOOP-001, LOOP-002): routes a raised alert by the routing table, hands a reopened
/// one back to its units with fresh deadlines, and tightens the deadlines of an escalated one. The alert book calls
/// it once per save, inside its transaction and before it renders the events, so that the raise's event already names
/// every unit and each channel delivers it to them. A sandbox adapter's drill is never routed (ALR-004). Scoped: it
/// works in the caller's unit of work.
/// </summary>
internal sealed class AlertRouting(HubDb db, IOptions<AlertOptions> options)
{
    public const string Engine = AlertBook.Engine;

    private List<UnitRoute>? _routes;

    // District governments by area code, read once per unit of work like the table: a pass that raises a hundred
    // alerts reads them in one query rather than one per alert, inside the pass's transaction.
    private readonly Dictionary<string, string[]> _districts = new(StringComparer.Ordinal);

    /// <summary>Applies the routing consequences of the steps about to be saved; returns the units and names their events show.</summary>
    public async Task<LoopSnapshot> PrepareAsync(IReadOnlyCollection<AlertEvent> steps, CancellationToken cancellationToken)
    {
        var routed = false;
        await DistrictOrganizationsAsync([.. steps.Where(s => s.Kind == "raised" && !s.Alert!.Sandbox).Select(s => s.Alert!.District)], cancellationToken);
        foreach (var step in steps)
        {
            var alert = step.Alert!;
            if (alert.Sandbox)
            {
                continue;
            }
            switch (step.Kind)
            {
                case "raised":
                    await RouteAsync(alert, await TableAsync(cancellationToken), Engine, step.At, cancellationToken);
                    routed = true;
                    break;
                case "reopened":
                    routed |= await ReopenAsync(alert, step.At, cancellationToken);
                    break;
                case "escalated":
                    await TightenAsync(alert, step.At, cancellationToken);
                    break;
            }
        }
        if (routed)
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        return await SnapshotAsync(steps.Select(s => s.Alert!.Id).Distinct().ToList(), steps.SelectMany(s => new[] { s.Actor, s.Person }), cancellationToken);
    }

    /// <summary>The units the routing table gives an alert of this domain, district, profile and level, leads first.</summary>
    public async Task<List<(string OrganizationId, UnitRole Role, long? RouteId)>> MatchAsync(
        string domain, string district, string profile, AlertLevel level, CancellationToken cancellationToken) =>
        Match(await TableAsync(cancellationToken), (await DistrictOrganizationsAsync([district], cancellationToken))[district], domain, district, profile, level);

    /// <summary>Routes an alert that has no units yet. Returns the units added.</summary>
    public async Task<List<AlertUnit>> RouteAsync(Alert alert, IReadOnlyList<UnitRoute> table, string actor, long now, CancellationToken cancellationToken)
    {
        var matches = Match(table, (await DistrictOrganizationsAsync([alert.District], cancellationToken))[alert.District], alert.Domain, alert.District, alert.ProfileId, alert.Level);
        var added = matches.Select(m => Add(alert, m.OrganizationId, m.Role, m.RouteId, actor, now)).ToList();
        if ((added.FirstOrDefault(u => u.Role == UnitRole.Lead) ?? added.FirstOrDefault()) is { } lead)
        {
            alert.ResponsibleOrganizationId = lead.OrganizationId;
        }
        return added;
    }

    /// <summary>A new unit on an alert, with the deadlines of the alert's level counted from now (ALR-003).</summary>
    public AlertUnit Add(Alert alert, string organizationId, UnitRole role, long? routeId, string actor, long now)
    {
        var unit = new AlertUnit
        {
            AlertId = alert.Id,
            OrganizationId = organizationId,
            Role = role,
            State = UnitState.Routed,
            RouteId = routeId,
            RoutedAt = now,
            RoutedBy = actor,
            AcknowledgeDue = 0,
            ResolveDue = 0,
        };
        Restart(unit, alert, now);
        db.AlertUnits.Add(unit);
        return unit;
    }

    /// <summary>
    /// The unit handles the alert from the start: handed it now, nothing acknowledged or resolved, the level's deadlines
    /// counted from now. After a reopening the loop's measures count the unit's times from the reopening (LOOP-011), as
    /// its deadlines run from it.
    /// </summary>
    public void Restart(AlertUnit unit, Alert alert, long now)
    {
        var deadline = options.Value.Deadlines.For(alert.Level);
        unit.State = UnitState.Routed;
        unit.RoutedAt = now;
        (unit.AcknowledgedAt, unit.AcknowledgedBy, unit.ResolvedAt, unit.ResolvedBy) = (null, null, null, null);
        unit.AcknowledgeDue = now + (long)deadline.Acknowledge.TotalMilliseconds;
        unit.ResolveDue = now + (long)deadline.Resolve.TotalMilliseconds;
    }

    /// <summary>Hands a recurring alert back to its units, as at a raise: their deadlines start again.</summary>
    private async Task<bool> ReopenAsync(Alert alert, long now, CancellationToken cancellationToken)
    {
        var units = await db.AlertUnits.Where(u => u.AlertId == alert.Id && u.State != UnitState.Removed).ToListAsync(cancellationToken);
        if (units.Count == 0)
        {
            await RouteAsync(alert, await TableAsync(cancellationToken), Engine, now, cancellationToken);
            return true;
        }
        foreach (var unit in units)
        {
            Restart(unit, alert, now);
        }
        return false;
    }

    /// <summary>A higher level has shorter deadlines: a unit still working on the alert gets them, where they come sooner.</summary>
    private async Task TightenAsync(Alert alert, long now, CancellationToken cancellationToken)
    {
        var deadline = options.Value.Deadlines.For(alert.Level);
        foreach (var unit in await db.AlertUnits.Where(u => u.AlertId == alert.Id && (u.State == UnitState.Routed || u.State == UnitState.Acknowledged)).ToListAsync(cancellationToken))
        {
            if (unit.State == UnitState.Routed)
            {
                unit.AcknowledgeDue = Math.Min(unit.AcknowledgeDue, now + (long)deadline.Acknowledge.TotalMilliseconds);
            }
            unit.ResolveDue = Math.Min(unit.ResolveDue, now + (long)deadline.Resolve.TotalMilliseconds);
        }
    }

    /// <summary>
    /// Every line that matches contributes its unit (a district line covers the districts inside it; no district, profile
    /// or level matches all); a unit matched as lead and as participant is a lead. Leads come first, in table order.
    /// </summary>
    private static List<(string OrganizationId, UnitRole Role, long? RouteId)> Match(
        IReadOnlyList<UnitRoute> table, string[] districtOrganizations, string domain, string district, string profile, AlertLevel level)
    {
        var units = new List<(string OrganizationId, UnitRole Role, long? RouteId)>();
        foreach (var route in table.OrderBy(r => r.Role).ThenBy(r => r.Id))
        {
            if (route.Domain != domain
                || (route.District is { } area && !district.StartsWith(AreaCodes.Prefix(area), StringComparison.Ordinal))
                || (route.Profile is { } only && only != profile)
                || (route.MinLevel is { } lowest && level < lowest))
            {
                continue;
            }
            var targets = route.Target == RouteTarget.District ? districtOrganizations : [route.OrganizationId!];
            foreach (var organizationId in targets.Where(t => units.All(u => u.OrganizationId != t)))
            {
                units.Add((organizationId, route.Role, route.Id));
            }
        }
        return units;
    }

    private async Task<IReadOnlyList<UnitRoute>> TableAsync(CancellationToken cancellationToken) =>
        _routes ??= await db.Routes.AsNoTracking().ToListAsync(cancellationToken);

    /// <summary>The district governments (organizations of kind district) by area code, with these area codes among them.</summary>
    private async Task<Dictionary<string, string[]>> DistrictOrganizationsAsync(IReadOnlyCollection<string> districts, CancellationToken cancellationToken)
    {
        var missing = districts.Where(d => !_districts.ContainsKey(d)).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count == 0)
        {
            return _districts;
        }
        var found = (await db.Organizations.AsNoTracking()
                .Where(o => o.Kind == OrganizationKind.District && o.AreaCode != null && missing.Contains(o.AreaCode))
                .OrderBy(o => o.Id)
                .Select(o => new { o.AreaCode, o.Id })
                .ToListAsync(cancellationToken))
            .ToLookup(o => o.AreaCode!, o => o.Id);
        foreach (var district in missing)
        {
            _districts[district] = [.. found[district]];
        }
        return _districts;
    }

    /// <summary>The units of these alerts (leads first) and the names of these actors, people and clients alike.</summary>
    public async Task<LoopSnapshot> SnapshotAsync(IReadOnlyCollection<long> alertIds, IEnumerable<string?> actors, CancellationToken cancellationToken)
    {
        var units = await db.AlertUnits.AsNoTracking()
            .Where(u => alertIds.Contains(u.AlertId) && u.State != UnitState.Removed)
            .Join(db.Organizations, u => u.OrganizationId, o => o.Id, (u, o) => new { u.AlertId, u.Id, u.OrganizationId, o.Name, u.Role, u.State, u.AssigneeId })
            .ToListAsync(cancellationToken);
        var byAlert = units.GroupBy(u => u.AlertId).ToDictionary(g => g.Key,
            g => g.OrderBy(u => u.Role).ThenBy(u => u.Id).Select(u => new UnitSnapshot(u.OrganizationId, u.Name, u.Role, u.State, u.AssigneeId)).ToList());
        var supervisors = (await db.AlertEscalations.AsNoTracking()
                .Where(e => alertIds.Contains(e.AlertId) && e.TargetOrganizationId != Organization.OperatorId)
                .Select(e => new { e.AlertId, e.TargetOrganizationId }).Distinct().ToListAsync(cancellationToken))
            .ToLookup(e => e.AlertId, e => e.TargetOrganizationId);
        return new LoopSnapshot(byAlert, await ActorNames.LookupAsync(db, actors.Concat(units.Select(u => u.AssigneeId)), cancellationToken), supervisors);
    }
}
