using System.ComponentModel.DataAnnotations;
using System.Globalization;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>The supervision chain's settings (督办, LOOP-005). Section <c>Supervision</c>.</summary>
internal sealed class SupervisionOptions
{
    public const string Section = "Supervision";

    /// <summary>How long the overdue unit's leads have, once told, before the supervising organization is told.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan Lead { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long the supervising organization has, once told, before the operator is told.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan Supervisor { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>An organization as the chain names it: id and name.</summary>
internal sealed record OrganizationRef(string OrganizationId, string? Name);

/// <summary>One step of the chain as the API and the <c>supervised</c> event carry it.</summary>
internal sealed record SupervisionView(
    int Level,
    string Step,
    DateTimeOffset At,
    string Missed,
    DateTimeOffset Deadline,
    OrganizationRef Unit,
    OrganizationRef Target,
    IReadOnlyList<ActorRef> People,
    DateTimeOffset? NextStepAt,
    string Reason)
{
    public static async Task<List<SupervisionView>> LoadAsync(HubDb db, long alertId, CancellationToken cancellationToken)
    {
        var rows = await db.AlertEscalations.AsNoTracking().Where(e => e.AlertId == alertId).OrderBy(e => e.Id).ToListAsync(cancellationToken);
        var organizations = rows.SelectMany(r => new[] { r.OrganizationId, r.TargetOrganizationId }).Distinct().ToList();
        var names = await db.Organizations.AsNoTracking().Where(o => organizations.Contains(o.Id)).ToDictionaryAsync(o => o.Id, o => o.Name, cancellationToken);
        var people = await ActorNames.LookupAsync(db, rows.SelectMany(PeopleOf), cancellationToken);
        return [.. rows.Select(r => Of(r, names, people))];
    }

    public static SupervisionView Of(AlertEscalation row, IReadOnlyDictionary<string, string> organizations, IReadOnlyDictionary<string, string> people) => new(
        (int)row.Step, row.Step.ToWire(), Ms(row.At), row.Missed, Ms(row.Deadline),
        new OrganizationRef(row.OrganizationId, organizations.GetValueOrDefault(row.OrganizationId)),
        new OrganizationRef(row.TargetOrganizationId, organizations.GetValueOrDefault(row.TargetOrganizationId)),
        [.. PeopleOf(row).Select(p => new ActorRef(p, people.GetValueOrDefault(p)))],
        row.NextAt is { } next ? Ms(next) : null,
        row.Reason);

    public static IEnumerable<string> PeopleOf(AlertEscalation row) => row.People?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];

    private static DateTimeOffset Ms(long value) => DateTimeOffset.FromUnixTimeMilliseconds(value);
}

/// <summary>
/// Supervision (督办, LOOP-005): a responsible unit's share that missed its acknowledge or resolve deadline escalates
/// along a chain, one step per sweep that finds the previous step's own deadline passed: the unit's leads, then the
/// supervising organization of the alert's domain and district (<see cref="SupervisorLine"/>), then the operator. An
/// alert no unit was routed to is supervised as its responsible organization's share, on the alert's own deadlines.
/// Each step is a row of the alert's chain and a <c>supervised</c> event on every channel; the organization told reads
/// the alert from then on. Acknowledging or resolving the share stops its chain, and a restarted deadline (a reopened
/// alert) starts a new one. The alert engine's sweep calls it, on the leader only, for the running alerts whose
/// profile does not raise the level instead at their level (ALR-003); sandbox drills never run deadlines (ALR-004).
/// </summary>
internal sealed class Supervision(HubDb db, IOptions<SupervisionOptions> options, IOptions<AlertOptions> alertOptions)
{
    /// <summary>Takes the steps that are due on these alerts, recording each in the book's unit of work.</summary>
    public async Task RunAsync(IReadOnlyList<Alert> alerts, AlertBook book, long now, CancellationToken cancellationToken)
    {
        if (alerts.Count == 0)
        {
            return;
        }
        var ids = alerts.Select(a => a.Id).ToList();
        var units = (await db.AlertUnits.AsNoTracking().Where(u => ids.Contains(u.AlertId)).ToListAsync(cancellationToken)).ToLookup(u => u.AlertId);
        var chains = (await db.AlertEscalations.AsNoTracking().Where(e => ids.Contains(e.AlertId)).ToListAsync(cancellationToken))
            .ToLookup(e => (e.AlertId, e.OrganizationId, e.Missed, e.Deadline));
        List<SupervisorLine>? table = null;
        foreach (var alert in alerts)
        {
            foreach (var share in Overdue(alert, units[alert.Id], now))
            {
                var last = chains[(alert.Id, share.OrganizationId, share.Missed, share.Deadline)].MaxBy(e => e.Step);
                if (last is not null && (last.NextAt is not { } next || next > now))
                {
                    continue;
                }
                table ??= await db.Supervisors.AsNoTracking().OrderBy(s => s.Id).ToListAsync(cancellationToken);
                await StepAsync(alert, share, last is null ? SupervisionStep.Lead : last.Step + 1, table, book, now, cancellationToken);
            }
        }
    }

    /// <summary>The supervising organization of alerts of this domain, district and profile: the most specific line, or none.</summary>
    public static SupervisorLine? Match(IEnumerable<SupervisorLine> table, string domain, string district, string profile) =>
        table.Where(s => s.Domain == domain
                && (s.District is not { } area || district.StartsWith(AreaCodes.Prefix(area), StringComparison.Ordinal))
                && (s.Profile is not { } only || only == profile))
            .OrderByDescending(s => s.Profile is not null)
            .ThenByDescending(s => s.District?.Length ?? 0)
            .ThenBy(s => s.Id)
            .FirstOrDefault();

    private readonly record struct Share(string OrganizationId, string Missed, long Deadline);

    /// <summary>The alert's shares that missed a deadline and still owe the step: each unit's, or the alert's own when it has no unit.</summary>
    private IEnumerable<Share> Overdue(Alert alert, IEnumerable<AlertUnit> units, long now)
    {
        var list = units.ToList();
        if (list.Count == 0)
        {
            var deadline = alertOptions.Value.Deadlines.For(alert.Level);
            var acknowledgeDue = alert.DeadlineFrom + (long)deadline.Acknowledge.TotalMilliseconds;
            var resolveDue = alert.DeadlineFrom + (long)deadline.Resolve.TotalMilliseconds;
            if (Missed(alert.State == AlertState.Raised, acknowledgeDue, resolveDue, now) is { } own)
            {
                yield return new Share(alert.ResponsibleOrganizationId, own.Missed, own.Deadline);
            }
            yield break;
        }
        foreach (var unit in list.Where(u => u.State is UnitState.Routed or UnitState.Acknowledged))
        {
            if (Missed(unit.State == UnitState.Routed, unit.AcknowledgeDue, unit.ResolveDue, now) is { } missed)
            {
                yield return new Share(unit.OrganizationId, missed.Missed, missed.Deadline);
            }
        }
    }

    /// <summary>The acknowledge deadline while it is owed, else the resolve deadline, when missed.</summary>
    private static (string Missed, long Deadline)? Missed(bool acknowledging, long acknowledgeDue, long resolveDue, long now) =>
        acknowledging && acknowledgeDue <= now ? ("acknowledge", acknowledgeDue)
        : resolveDue <= now ? ("resolve", resolveDue)
        : null;

    private async Task StepAsync(Alert alert, Share share, SupervisionStep step, List<SupervisorLine> table, AlertBook book, long now, CancellationToken cancellationToken)
    {
        var target = share.OrganizationId;
        List<string> people = [];
        if (step == SupervisionStep.Lead)
        {
            people = await db.Users.AsNoTracking()
                .Where(u => u.OrganizationId == share.OrganizationId && u.Role == UserRole.Lead && u.Status == UserStatus.Active)
                .OrderBy(u => u.Id).Select(u => u.Id).ToListAsync(cancellationToken);
        }
        if (step == SupervisionStep.Supervisor)
        {
            // Nobody supervises a unit on its own behalf: without a supervising organization other than the unit, the operator is next.
            var supervisor = Match(table, alert.Domain, alert.District, alert.ProfileId)?.OrganizationId;
            if (supervisor is null || supervisor == share.OrganizationId)
            {
                step = SupervisionStep.Operator;
            }
            else
            {
                target = supervisor;
            }
        }
        if (step == SupervisionStep.Operator)
        {
            target = Organization.OperatorId;
        }
        var names = await db.Organizations.AsNoTracking().Where(o => o.Id == share.OrganizationId || o.Id == target).ToDictionaryAsync(o => o.Id, o => o.Name, cancellationToken);
        var row = new AlertEscalation
        {
            AlertId = alert.Id,
            OrganizationId = share.OrganizationId,
            Missed = share.Missed,
            Deadline = share.Deadline,
            Step = step,
            TargetOrganizationId = target,
            People = people.Count == 0 ? null : string.Join(' ', people),
            At = now,
            NextAt = step switch
            {
                SupervisionStep.Lead => now + (long)options.Value.Lead.TotalMilliseconds,
                SupervisionStep.Supervisor => now + (long)options.Value.Supervisor.TotalMilliseconds,
                _ => null,
            },
            Reason = string.Format(CultureInfo.InvariantCulture, "{0} did not {1} by {2} (处置时限); 督办 step {3}: {4}.",
                names.GetValueOrDefault(share.OrganizationId, share.OrganizationId), share.Missed,
                DateTimeOffset.FromUnixTimeMilliseconds(share.Deadline).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                (int)step, step switch
                {
                    SupervisionStep.Lead => "the unit's leads",
                    SupervisionStep.Supervisor => names.GetValueOrDefault(target, target),
                    _ => "the operator",
                }),
        };
        db.AlertEscalations.Add(row);
        book.Supervise(alert, row, SupervisionView.Of(row, names, await ActorNames.LookupAsync(db, people, cancellationToken)), now);
    }
}
