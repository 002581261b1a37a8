using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Organizations;

internal static class AuditApi
{
    public static IEndpointRouteBuilder MapAudit(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/audit", ListAsync).WithTags("Administration").RequireScope(Scopes.Admin)
            .WithName("ListAudit").WithSummary("The audit log of administrative actions, newest first, a page at a time.");
        return app;
    }

    /// <summary>One audited action; <c>actor</c> is the id of the client or person, <c>actorName</c> the name to show.</summary>
    internal sealed record AuditResponse(long Id, DateTimeOffset At, string Actor, string Action, string Target, string? Details, string? ActorName = null);

    private static async Task<Results<Ok<Page<AuditResponse>>, ProblemHttpResult>> ListAsync(HubDb db, HttpContext context, int? limit = null, string? cursor = null)
    {
        if (!Cursors.TryDecodeId(cursor, long.MaxValue, out var before))
        {
            return ProblemResults.Problem(context, ErrorCodes.InvalidCursor);
        }
        var take = Cursors.Limit(limit);
        var entries = await db.Audit.AsNoTracking().Where(a => a.Id < before).OrderByDescending(a => a.Id).Take(take + 1).ToListAsync(context.RequestAborted);
        var next = entries.Count > take ? Cursors.Encode(entries[take - 1].Id) : null;
        var names = await ClosedLoop.ActorNames.LookupAsync(db, entries.Select(a => a.Actor), context.RequestAborted);
        return TypedResults.Ok(new Page<AuditResponse>(
            entries.Take(take).Select(a => new AuditResponse(a.Id, a.At, a.Actor, a.Action, a.Target, a.Details, names.GetValueOrDefault(a.Actor))).ToList(), next));
    }
}
