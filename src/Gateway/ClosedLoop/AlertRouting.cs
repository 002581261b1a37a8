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

/// <summary>
/// What the alert book needs to render a save's events: each alert's units, and the actors' names. Worked out before the
/// save's transaction, alerts not stored yet among them, so it is keyed by the alert itself.
/// </summary>
internal sealed class LoopSnapshot(IReadOnlyDictionary<Alert, List<UnitSnapshot>> units, IReadOnlyDictionary<string, string> names, IReadOnlyDictionary<Alert, List<string>> supervisors)
{
    /// <summary>The organizations other than the operator that the alert's supervision chain told (LOOP-005).</summary>
    public IEnumerable<string> SupervisorsOf(Alert alert) => supervisors.TryGetValue(alert, out var list) ? list : [];

    /// <summary>The alert's units that have not been removed, leads first.</summary>
    public IReadOnlyList<UnitSnapshot> UnitsOf(Alert alert) => units.TryGetValue(alert, out var list) ? list : [];

    public string? NameOf(string? actor) => actor is not null && names.TryGetValue(actor, out var name) ? name : null;
}

/// <summary>
/// The routing a save writes, worked out before its transaction begins: the units a raise adds (written once the alert
/// has its id), the alerts whose units a reopening hands the alert back to, and those whose units get an escalation's
/// shorter deadlines; and the units and names its events show.
/// </summary>
internal sealed class LoopPlan(LoopSnapshot snapshot, List<LoopPlan.Routed> added, List<(Alert Alert, long At)> reopened, List<(Alert Alert, long At)> tightened)
{
    internal sealed record Routed(Alert Alert, string OrganizationId, UnitRole Role, long? RouteId, long At);

    public LoopSnapshot Snapshot => snapshot;

    public List<Routed> Added => added;

    public List<(Alert Alert, long At)> Reopened => reopened;

    public List<(Alert Alert, long At)> Tightened => tightened;
}

/// <summary>
/// The responsible units of alerts (LOOP-001, LOOP-002): routes a raised alert by the routing table, hands a reopened
/// one back to its units with fresh deadlines, and tightens the deadlines of an escalated one. The alert book plans it
/// once per save before its transaction begins (every read: the table, the district governments, the units, names and
/// supervisors its events show), and writes it inside, before it renders the events, so that the raise's event already
/// names every unit and each channel delivers it to them. A sandbox adapter's drill is never routed (ALR-004). Scoped:
/// it works in the caller's unit of work.
/// </summary>
internal sealed class AlertRouting(HubDb db, IOptions<AlertOptions> options)
{
    public const string Engine = AlertBook.Engine;

    private List<UnitRoute>? _routes;

    // District governments by area code, read once per unit of work like the table: a pass that raises a hundred
    // alerts reads them in one query rather than one per alert.
    private readonly Dictionary<string, string[]> _districts = new(StringComparer.Ordinal);

    // A unit as the plan sees it: stored (its id) or added by this save (after every stored one, in order).
    private sealed record Working(long Order, string OrganizationId, UnitRole Role, UnitState State, string? Assignee);

    /// <summary>
    /// Works out the routing consequences of the steps about to be saved, reading all it needs now: the units of stored
    /// alerts as this unit of work leaves them, the routing table and district governments where a step routes, and the
    /// names and supervisors the events show. Nothing is written until <see cref="WriteAsync"/>.
    /// </summary>
    public async Task<LoopPlan> PlanAsync(IReadOnlyCollection<AlertEvent> steps, CancellationToken cancellationToken)
    {
        var alerts = steps.Select(s => s.Alert!).Distinct().ToList();
        var stored = alerts.Where(a => a.Id != 0).Select(a => a.Id).ToList();
        var units = await UnitsAsync(stored, cancellationToken);
        var working = alerts.ToDictionary(a => a, a => units.TryGetValue(a.Id, out var list) && a.Id != 0 ? list : []);
        var (added, reopened, tightened) = (new List<LoopPlan.Routed>(), new List<(Alert, long)>(), new List<(Alert, long)>());
        var routes = steps.Where(s => !s.Alert!.Sandbox && (s.Kind == "raised" || (s.Kind == "reopened" && working[s.Alert!].All(u => u.State == UnitState.Removed))))
            .Select(s => s.Alert!.District).ToList();
        var table = routes.Count == 0 ? [] : await TableAsync(cancellationToken);
        await DistrictOrganizationsAsync(routes, cancellationToken);
        foreach (var step in steps)
        {
            var alert = step.Alert!;
            if (alert.Sandbox)
            {
                continue;
            }
            var list = working[alert];
            switch (step.Kind)
            {
                case "raised" or "reopened" when list.All(u => u.State == UnitState.Removed):
                    var matches = Match(table, _districts[alert.District], alert.Domain, alert.District, alert.ProfileId, alert.Level);
                    foreach (var (organizationId, role, routeId) in matches)
                    {
                        added.Add(new LoopPlan.Routed(alert, organizationId, role, routeId, step.At));
                        list.Add(new Working(long.MaxValue - 1_000_000 + added.Count, organizationId, role, UnitState.Routed, null));
                    }
                    if (matches.Count > 0)
                    {
                        alert.ResponsibleOrganizationId = matches.Find(m => m.Role == UnitRole.Lead).OrganizationId ?? matches[0].OrganizationId;
                    }
                    break;
                case "reopened":
                    reopened.Add((alert, step.At));
                    working[alert] = [.. list.Select(u => u.State == UnitState.Removed ? u : u with { State = UnitState.Routed })];
                    break;
                case "escalated":
                    tightened.Add((alert, step.At));
                    break;
            }
        }
        return new LoopPlan(await SnapshotAsync(working, stored, steps.SelectMany(s => new[] { s.Actor, s.Person }), cancellationToken), added, reopened, tightened);
    }

    /// <summary>
    /// Writes a plan in the save's transaction, once its alerts have their ids: the units added, and, for the alerts
    /// reopened or escalated, their units' deadlines, by statements that leave alone whatever was removed meanwhile.
    /// </summary>
    public async Task WriteAsync(LoopPlan plan, CancellationToken cancellationToken)
    {
        foreach (var (alert, organizationId, role, routeId, at) in plan.Added)
        {
            Add(alert, organizationId, role, routeId, Engine, at);
        }
        foreach (var (alert, at) in plan.Reopened)
        {
            // Restart, as one statement: handed the alert again now, so the loop's measures count from the reopening.
            var (acknowledge, resolve) = Due(alert, at);
            await db.AlertUnits.Where(u => u.AlertId == alert.Id && u.State != UnitState.Removed).ExecuteUpdateAsync(set => set
                .SetProperty(u => u.State, UnitState.Routed)
                .SetProperty(u => u.RoutedAt, at)
                .SetProperty(u => u.AcknowledgedAt, (long?)null)
                .SetProperty(u => u.AcknowledgedBy, (string?)null)
                .SetProperty(u => u.ResolvedAt, (long?)null)
                .SetProperty(u => u.ResolvedBy, (string?)null)
                .SetProperty(u => u.AcknowledgeDue, acknowledge)
                .SetProperty(u => u.ResolveDue, resolve), cancellationToken);
        }
        foreach (var (alert, at) in plan.Tightened)
        {
            // A higher level has shorter deadlines: a unit still working on the alert gets them, where they come sooner.
            var (acknowledge, resolve) = Due(alert, at);
            await db.AlertUnits.Where(u => u.AlertId == alert.Id && u.State == UnitState.Routed && u.AcknowledgeDue > acknowledge)
                .ExecuteUpdateAsync(set => set.SetProperty(u => u.AcknowledgeDue, acknowledge), cancellationToken);
            await db.AlertUnits.Where(u => u.AlertId == alert.Id && (u.State == UnitState.Routed || u.State == UnitState.Acknowledged) && u.ResolveDue > resolve)
                .ExecuteUpdateAsync(set => set.SetProperty(u => u.ResolveDue, resolve), cancellationToken);
        }
    }

    /// <summary>The units the routing table gives an alert of this domain, district, profile and level, leads first.</summary>
    public async Task<List<(string OrganizationId, UnitRole Role, long? RouteId)>> MatchAsync(
        string domain, string district, string profile, AlertLevel level, CancellationToken cancellationToken) =>
        Match(await TableAsync(cancellationToken), (await DistrictOrganizationsAsync([district], cancellationToken))[district], domain, district, profile, level);

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
        unit.State = UnitState.Routed;
        unit.RoutedAt = now;
        (unit.AcknowledgedAt, unit.AcknowledgedBy, unit.ResolvedAt, unit.ResolvedBy) = (null, null, null, null);
        (unit.AcknowledgeDue, unit.ResolveDue) = Due(alert, now);
    }

    /// <summary>When a unit routed now must acknowledge and resolve the alert by, at the alert's level (ALR-003).</summary>
    private (long Acknowledge, long Resolve) Due(Alert alert, long now)
    {
        var deadline = options.Value.Deadlines.For(alert.Level);
        return (now + (long)deadline.Acknowledge.TotalMilliseconds, now + (long)deadline.Resolve.TotalMilliseconds);
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

    /// <summary>
    /// The units of these stored alerts by alert, as this unit of work leaves them: what the database holds, with the
    /// changes and additions of units tracked here (a person's step saved with these steps), additions last.
    /// </summary>
    private async Task<Dictionary<long, List<Working>>> UnitsAsync(List<long> alertIds, CancellationToken cancellationToken)
    {
        if (alertIds.Count == 0)
        {
            return [];
        }
        var stored = await db.AlertUnits.AsNoTracking().Where(u => alertIds.Contains(u.AlertId)).ToListAsync(cancellationToken);
        var units = stored.ToDictionary(u => u.Id);
        var added = new List<AlertUnit>();
        foreach (var entry in db.ChangeTracker.Entries<AlertUnit>().Where(e => alertIds.Contains(e.Entity.AlertId)))
        {
            if (entry.State == EntityState.Added)
            {
                added.Add(entry.Entity);
            }
            else if (entry.State == EntityState.Deleted)
            {
                units.Remove(entry.Entity.Id);
            }
            else
            {
                units[entry.Entity.Id] = entry.Entity;
            }
        }
        return units.Values.OrderBy(u => u.Id).Select(u => (u.AlertId, Unit: new Working(u.Id, u.OrganizationId, u.Role, u.State, u.AssigneeId)))
            .Concat(added.Select((u, i) => (u.AlertId, Unit: new Working(long.MaxValue - 2_000_000 + i, u.OrganizationId, u.Role, u.State, u.AssigneeId))))
            .GroupBy(u => u.AlertId).ToDictionary(g => g.Key, g => g.Select(u => u.Unit).ToList());
    }

    /// <summary>The units (leads first, removed ones left out) the events show, with the names of their organizations and of these actors, and the supervisors.</summary>
    private async Task<LoopSnapshot> SnapshotAsync(Dictionary<Alert, List<Working>> working, List<long> stored, IEnumerable<string?> actors, CancellationToken cancellationToken)
    {
        var shown = working.ToDictionary(w => w.Key, w => w.Value.Where(u => u.State != UnitState.Removed).OrderBy(u => u.Role).ThenBy(u => u.Order).ToList());
        var organizationIds = shown.Values.SelectMany(l => l.Select(u => u.OrganizationId)).Distinct(StringComparer.Ordinal).ToList();
        var organizations = organizationIds.Count == 0 ? [] : await db.Organizations.AsNoTracking().Where(o => organizationIds.Contains(o.Id))
            .Select(o => new { o.Id, o.Name }).ToDictionaryAsync(o => o.Id, o => o.Name, cancellationToken);
        var units = shown.ToDictionary(s => s.Key,
            s => s.Value.Select(u => new UnitSnapshot(u.OrganizationId, organizations.GetValueOrDefault(u.OrganizationId), u.Role, u.State, u.Assignee)).ToList());
        var escalations = stored.Count == 0 ? [] : await db.AlertEscalations.AsNoTracking()
            .Where(e => stored.Contains(e.AlertId) && e.TargetOrganizationId != Organization.OperatorId)
            .Select(e => new { e.AlertId, e.TargetOrganizationId }).Distinct().ToListAsync(cancellationToken);
        // The supervision steps this save adds (the sweep's) are tracked here, not stored yet.
        var told = escalations.Select(e => (e.AlertId, e.TargetOrganizationId))
            .Concat(db.ChangeTracker.Entries<AlertEscalation>().Where(e => e.State == EntityState.Added && e.Entity.TargetOrganizationId != Organization.OperatorId)
                .Select(e => (e.Entity.AlertId, e.Entity.TargetOrganizationId)))
            .ToLookup(e => e.AlertId, e => e.TargetOrganizationId);
        var supervisors = working.Keys.Where(a => a.Id != 0 && told.Contains(a.Id)).ToDictionary(a => a, a => told[a.Id].Distinct(StringComparer.Ordinal).ToList());
        var names = await ActorNames.LookupAsync(db, actors.Concat(shown.Values.SelectMany(l => l.Select(u => u.Assignee))), cancellationToken);
        return new LoopSnapshot(units, names, supervisors);
    }
}
