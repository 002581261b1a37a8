using System.ComponentModel;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>
/// Supervision (督办, LOOP-005): the supervising organizations per domain and district, managed by the operator like the
/// routing table (every change audited), and each alert's chain of escalations.
/// </summary>
internal static class SupervisorsApi
{
    public static IEndpointRouteBuilder MapSupervision(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/alerts/{alertId:long}/supervision", ChainAsync).WithTags(UnitsApi.Tag).RequireScope(Scopes.AlertsRead).WithName("GetAlertSupervision")
            .WithSummary("The alert's supervision chain (督办): each step a unit's missed deadline took, oldest first, with whom it told and when the next step follows.");

        var read = app.MapGroup("/v1/supervisors").WithTags(UnitsApi.Tag).RequireScope(Scopes.AlertsRead);
        read.MapGet("/", ListAsync).WithName("ListSupervisors")
            .WithSummary("The supervising organizations: who is told, after an overdue unit's leads and before the operator, of the alerts of a domain and district.");

        var manage = app.MapGroup("/v1/supervisors").WithTags(UnitsApi.Tag).RequireScope(Scopes.Admin);
        manage.MapPost("/", CreateAsync).WithName("CreateSupervisor").WithSummary("Name the supervising organization of a domain, optionally of a district and a profile.");
        manage.MapPut("/{supervisorId:long}", UpdateAsync).WithName("UpdateSupervisor").WithSummary("Change a supervising organization's line; steps taken already keep whom they told.");
        manage.MapDelete("/{supervisorId:long}", DeleteAsync).WithName("DeleteSupervisor").WithSummary("Remove a supervising organization's line.");
        return app;
    }

    /// <summary>A supervising organization's line as the API takes it.</summary>
    internal sealed record SupervisorRequest(
        [property: Description("The monitoring domain (a profile's `domain`), e.g. `gas`.")] string? Domain,
        [property: Description("A GB/T 2260 area code; a city code covers its districts. Absent: every district.")] string? District,
        [property: Description("One profile of the domain only. Absent: every profile.")] string? Profile,
        string? OrganizationId,
        string? Note);

    internal sealed record SupervisorResponse(
        long Id, string Domain, string? District, string? Profile, string OrganizationId, string? OrganizationName, string? Note, DateTimeOffset UpdatedAt, ActorRef UpdatedBy);

    private static async Task<Results<Ok<SupervisionView[]>, ProblemHttpResult>> ChainAsync(long alertId, HubDb db, TimeProvider time, HttpContext context)
    {
        if (!await (await AlertsApi.VisibleAsync(context, db, time)).AnyAsync(a => a.Id == alertId, context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.AlertNotFound, $"No alert {alertId} that you may see.");
        }
        return TypedResults.Ok((await SupervisionView.LoadAsync(db, alertId, context.RequestAborted)).ToArray());
    }

    private static async Task<Ok<SupervisorResponse[]>> ListAsync(HubDb db, HttpContext context, string? domain = null)
    {
        var lines = await db.Supervisors.AsNoTracking().Where(s => domain == null || s.Domain == domain).OrderBy(s => s.Domain).ThenBy(s => s.Id).ToListAsync(context.RequestAborted);
        return TypedResults.Ok(await ResponsesAsync(db, lines, context.RequestAborted));
    }

    private static Task<Results<Created<SupervisorResponse>, ProblemHttpResult>> CreateAsync(SupervisorRequest request, HubDb db, SpecCatalog spec, TimeProvider time, HttpContext context) =>
        AuditedLines.CreateAsync(db, time, context, "supervisor", "/v1/supervisors",
            (now, actor) => new SupervisorLine
            {
                Domain = "",
                OrganizationId = "",
                CreatedAt = now,
                CreatedBy = actor,
                UpdatedAt = now,
                UpdatedBy = actor,
            },
            line => ApplyAsync(request, line, db, spec, context), request, line => ResponseAsync(db, line, context));

    private static Task<Results<Ok<SupervisorResponse>, ProblemHttpResult>> UpdateAsync(long supervisorId, SupervisorRequest request, HubDb db, SpecCatalog spec, TimeProvider time, HttpContext context) =>
        AuditedLines.UpdateAsync(db, time, context, "supervisor", db.Supervisors.Where(s => s.Id == supervisorId), () => NotFound(context, supervisorId),
            line => ApplyAsync(request, line, db, spec, context), request, line => ResponseAsync(db, line, context));

    private static Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(long supervisorId, HubDb db, TimeProvider time, HttpContext context) =>
        AuditedLines.DeleteAsync(db, time, context, "supervisor", db.Supervisors.Where(s => s.Id == supervisorId), () => NotFound(context, supervisorId),
            line => new { line.Domain, line.District, line.Profile, line.OrganizationId });

    /// <summary>Checks a request whole, then writes it into the line; the problem when it fails.</summary>
    private static async Task<ProblemHttpResult?> ApplyAsync(SupervisorRequest request, SupervisorLine line, HubDb db, SpecCatalog spec, HttpContext context)
    {
        var check = new RequestValidator();
        RoutesApi.CheckScope(check, spec, request.Domain, request.District, request.Profile);
        await UnitsApi.OrganizationAsync(check, db, request.OrganizationId, "/organizationId", context.RequestAborted);
        if (request.Note is { Length: > 1000 })
        {
            check.Add(ErrorCodes.InvalidValue, "/note", "A note of at most 1000 characters.");
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }
        (line.Domain, line.District, line.Profile, line.OrganizationId, line.Note) = (request.Domain!, request.District, request.Profile, request.OrganizationId!, request.Note);
        return null;
    }

    private static async Task<SupervisorResponse[]> ResponsesAsync(HubDb db, IReadOnlyList<SupervisorLine> lines, CancellationToken cancellationToken)
    {
        var ids = lines.Select(s => s.OrganizationId).Distinct().ToList();
        var organizations = await db.Organizations.AsNoTracking().Where(o => ids.Contains(o.Id)).ToDictionaryAsync(o => o.Id, o => o.Name, cancellationToken);
        var names = await ActorNames.LookupAsync(db, lines.Select(s => s.UpdatedBy), cancellationToken);
        return [.. lines.Select(s => new SupervisorResponse(
            s.Id, s.Domain, s.District, s.Profile, s.OrganizationId, organizations.GetValueOrDefault(s.OrganizationId), s.Note,
            DateTimeOffset.FromUnixTimeMilliseconds(s.UpdatedAt), new ActorRef(s.UpdatedBy, names.GetValueOrDefault(s.UpdatedBy))))];
    }

    private static async Task<SupervisorResponse> ResponseAsync(HubDb db, SupervisorLine line, HttpContext context) =>
        (await ResponsesAsync(db, [line], context.RequestAborted))[0];

    private static ProblemHttpResult NotFound(HttpContext context, long supervisorId) =>
        ProblemResults.Problem(context, ErrorCodes.SupervisorNotFound, $"No supervising organization's line {supervisorId}.");
}
