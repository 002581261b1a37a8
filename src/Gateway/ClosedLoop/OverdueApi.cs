using System.ComponentModel;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>
/// Supervision's list (督办, LOOP-004): the responsible units' shares that missed their acknowledge or resolve deadline
/// while the alert is still being handled, per unit and per district. Each caller sees the shares of the alerts it may
/// read (ALR-001): a unit those routed to it, a district its district, the operator everything.
/// </summary>
internal static class OverdueApi
{
    public static IEndpointRouteBuilder MapOverdue(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/alerts/overdue", ListAsync).WithTags(UnitsApi.Tag).RequireScope(Scopes.AlertsRead)
            .WithName("ListOverdueShares")
            .WithSummary("Responsible units' shares of open alerts that missed their acknowledge or resolve deadline, longest overdue first; filter by unit and by district.");
        return app;
    }

    internal sealed record OverdueFilter(
        [property: Description("Shares of this responsible unit only.")][FromQuery(Name = "unit")] string? Unit,
        [property: Description("Alerts in this district (a GB/T 2260 code covers the districts inside it).")][FromQuery(Name = "district")] string? District);

    /// <summary>A unit's share of an alert that is overdue, with the alert it belongs to.</summary>
    internal sealed record OverdueShare(
        long AlertId,
        string Level,
        string Domain,
        string District,
        string DeviceId,
        string RuleTitle,
        [property: Description("The alert's state.")] string AlertState,
        string OrganizationId,
        string OrganizationName,
        [property: Description("lead (牵头) or participant (按职责分工负责).")] string Role,
        [property: Description("The unit's state: routed (not acknowledged yet) or acknowledged.")] string State,
        [property: Description("The steps the unit missed: acknowledge, resolve or both.")] IReadOnlyList<string> Missed,
        [property: Description("The acknowledge deadline, while the unit has not acknowledged.")] DateTimeOffset? AcknowledgeBy,
        DateTimeOffset ResolveBy,
        [property: Description("The earliest deadline the unit missed.")] DateTimeOffset OverdueSince);

    private static async Task<Results<Ok<OverdueShare[]>, ProblemHttpResult>> ListAsync(
        [AsParameters] OverdueFilter filter, HubDb db, TimeProvider time, HttpContext context, int? limit = null)
    {
        var check = new RequestValidator();
        check.DistrictParameter(filter.District);
        if (check.Failed)
        {
            return check.ParameterProblem(context);
        }
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        // Deadlines run only while the alert is handled (AlertDeadlines.Running): a cleared, resolved, closed or sandbox
        // alert has no overdue unit (ALR-003, ALR-004).
        var alerts = (await AlertsApi.VisibleAsync(context, db, time))
            .Where(a => a.OpenKey != null && !a.Cleared && !a.Sandbox
                && (a.State == AlertState.Raised || a.State == AlertState.Acknowledged || a.State == AlertState.Dispatched));
        if (filter.District is not null)
        {
            var prefix = AreaCodes.Prefix(filter.District);
            alerts = alerts.Where(a => a.District.StartsWith(prefix));
        }
        var units = db.AlertUnits.AsNoTracking()
            .Where(u => (u.State == UnitState.Routed && u.AcknowledgeDue <= now)
                || ((u.State == UnitState.Routed || u.State == UnitState.Acknowledged) && u.ResolveDue <= now));
        if (filter.Unit is not null)
        {
            units = units.Where(u => u.OrganizationId == filter.Unit);
        }
        var rows = await alerts
            .Join(units, a => a.Id, u => u.AlertId, (a, u) => new { Alert = a, Unit = u })
            .Join(db.Organizations, r => r.Unit.OrganizationId, o => o.Id, (r, o) => new { r.Alert, r.Unit, o.Name })
            .OrderBy(r => r.Unit.State == UnitState.Routed && r.Unit.AcknowledgeDue < r.Unit.ResolveDue ? r.Unit.AcknowledgeDue : r.Unit.ResolveDue)
            .ThenBy(r => r.Unit.Id)
            .Take(Cursors.Limit(limit))
            .ToListAsync(context.RequestAborted);
        return TypedResults.Ok(rows.Select(r => Share(r.Alert, r.Unit, r.Name, now)).ToArray());
    }

    private static OverdueShare Share(Alert alert, AlertUnit unit, string organizationName, long now)
    {
        var acknowledging = unit.State == UnitState.Routed;
        var missed = new List<string>(2);
        if (acknowledging && unit.AcknowledgeDue <= now)
        {
            missed.Add("acknowledge");
        }
        if (unit.ResolveDue <= now)
        {
            missed.Add("resolve");
        }
        var since = acknowledging ? Math.Min(unit.AcknowledgeDue, unit.ResolveDue) : unit.ResolveDue;
        return new OverdueShare(
            alert.Id, alert.Level.ToWire(), alert.Domain, alert.District, alert.DeviceId, alert.RuleTitle, alert.State.ToWire(),
            unit.OrganizationId, organizationName, unit.Role.ToWire(), unit.State.ToWire(), missed,
            acknowledging ? Ms(unit.AcknowledgeDue) : null, Ms(unit.ResolveDue), Ms(since));
    }

    private static DateTimeOffset Ms(long value) => DateTimeOffset.FromUnixTimeMilliseconds(value);
}
