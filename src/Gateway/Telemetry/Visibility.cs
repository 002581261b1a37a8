using System.Linq.Expressions;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Telemetry;

/// <summary>What the visibility rules judge a stored row by.</summary>
internal interface IVisibleRow
{
    string OrganizationId { get; }
    string Domain { get; }
    string District { get; }
    bool Sandbox { get; }
}

/// <summary>
/// The visibility attributes of a row that is not a table row: a live message or an outbox event. The responsible
/// units of an alert (space-separated organization ids) read it too.
/// </summary>
internal sealed record LiveRow(string OrganizationId, string Domain, string District, bool Sandbox, string? Units = null) : IVisibleRow
{
    /// <summary>Whose data an outbox event carries, whichever channel delivers it.</summary>
    public static LiveRow Of(Events.OutboxEvent e) => new(e.OrganizationId, e.Domain ?? "", e.District ?? "", e.Sandbox, e.Units);

    /// <summary>Whether the organization is one of the row's responsible units.</summary>
    public bool RoutedTo(string organizationId)
    {
        if (Units is null)
        {
            return false;
        }
        foreach (var unit in Units.AsSpan().Split(' '))
        {
            if (Units.AsSpan()[unit].SequenceEqual(organizationId))
            {
                return true;
            }
        }
        return false;
    }
}

/// <summary>
/// Who may read what, applied on the server to every telemetry query (DESIGN §7.5):
/// an organization reads its own data; a district organization also reads data located in its district (GB/T 2260
/// prefixes, so a city code covers its districts); the operator's grants add domains and districts until they expire;
/// the operator reads everything else. Sandbox data never leaves its own organization, not even for the operator: a
/// sandbox adapter's readings and drills are no part of the city's picture (DESIGN §7.5, ALR-004).
/// </summary>
internal static class Visibility
{
    public static async Task<Expression<Func<T, bool>>> PredicateAsync<T>(Caller caller, HubDb db, DateTimeOffset now, CancellationToken cancellationToken)
        where T : class, IVisibleRow
    {
        var organizationId = caller.OrganizationId;
        if (caller.IsOperator)
        {
            return row => !row.Sandbox || row.OrganizationId == organizationId;
        }
        Expression<Func<T, bool>> visible = row => row.OrganizationId == organizationId;

        if (caller.OrganizationKind == OrganizationKind.District && caller.AreaCode is { } areaCode)
        {
            var prefix = AreaCodes.Prefix(areaCode);
            visible = Or(visible, row => !row.Sandbox && row.District.StartsWith(prefix));
        }

        var grants = await db.Grants.AsNoTracking()
            .Where(g => g.GranteeOrganizationId == organizationId)
            .Select(g => new { g.Domain, g.District, g.ExpiresAt })
            .ToListAsync(cancellationToken);
        foreach (var grant in grants.Where(g => g.ExpiresAt > now))
        {
            var domain = grant.Domain;
            var prefix = grant.District is null ? null : AreaCodes.Prefix(grant.District);
            visible = (domain, prefix) switch
            {
                (not null, not null) => Or(visible, row => !row.Sandbox && row.Domain == domain && row.District.StartsWith(prefix)),
                (not null, null) => Or(visible, row => !row.Sandbox && row.Domain == domain),
                _ => Or(visible, row => !row.Sandbox && row.District.StartsWith(prefix!)),
            };
        }
        return visible;
    }

    /// <summary>
    /// The same rules, compiled for judging one live row at a time (MQTT receivers, subscriptions, the event stream);
    /// an alert's event is visible to each of its responsible units too (LOOP-001).
    /// </summary>
    public static async Task<Func<LiveRow, bool>> CompileAsync(Caller caller, HubDb db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var visible = (await PredicateAsync<LiveRow>(caller, db, now, cancellationToken)).Compile();
        var organizationId = caller.OrganizationId;
        return row => visible(row) || row.RoutedTo(organizationId);
    }

    public static Expression<Func<T, bool>> Or<T>(Expression<Func<T, bool>> left, Expression<Func<T, bool>> right)
    {
        var body = new Rebind(right.Parameters[0], left.Parameters[0]).Visit(right.Body);
        return Expression.Lambda<Func<T, bool>>(Expression.OrElse(left.Body, body), left.Parameters);
    }

    private sealed class Rebind(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }
}
