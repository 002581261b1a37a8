using System.ComponentModel;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>
/// The routing table (LOOP-001): which responsible units receive the alerts of a domain and district, optionally of
/// one profile and from one level up. The operator manages it (every change audited); anyone who reads alerts may
/// read it and ask where an alert would go.
/// </summary>
internal static class RoutesApi
{
    public static IEndpointRouteBuilder MapRoutes(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/v1/routes").WithTags(UnitsApi.Tag).RequireScope(Scopes.AlertsRead);
        read.MapGet("/", ListAsync).WithName("ListRoutes").WithSummary("The routing table: which responsible units receive which alerts, by domain, district, profile and level.");
        read.MapGet("/match", MatchAsync).WithName("MatchRoutes")
            .WithSummary("The units an alert of this domain, district, profile and level would be routed to now, leads first.");

        var manage = app.MapGroup("/v1/routes").WithTags(UnitsApi.Tag).RequireScope(Scopes.Admin);
        manage.MapPost("/", CreateAsync).WithName("CreateRoute").WithSummary("Add a line to the routing table.");
        manage.MapPut("/{routeId:long}", UpdateAsync).WithName("UpdateRoute").WithSummary("Change a line of the routing table; alerts routed already keep their units.");
        manage.MapDelete("/{routeId:long}", DeleteAsync).WithName("DeleteRoute").WithSummary("Remove a line from the routing table; alerts routed already keep their units.");
        return app;
    }

    /// <summary>A line of the routing table as the API takes it.</summary>
    internal sealed record RouteRequest(
        [property: Description("The monitoring domain (a profile's `domain`), e.g. `gas`.")] string? Domain,
        [property: Description("A GB/T 2260 area code; a city code covers its districts. Absent: every district.")] string? District,
        [property: Description("One profile of the domain only. Absent: every profile.")] string? Profile,
        [property: Description("The lowest level routed: blue, yellow, orange or red. Absent: every level.")] string? MinLevel,
        [property: Description("`organization` (the one named in `organizationId`, the default) or `district`: the government of the alert's own district, every district organization whose area code is the alert's district (各区(市)政府).")] string? Target,
        string? OrganizationId,
        [property: Description("lead (牵头) or participant (按职责分工负责).")] string? Role,
        string? Note);

    internal sealed record RouteResponse(
        long Id, string Domain, string? District, string? Profile, string? MinLevel, string Target, string? OrganizationId, string? OrganizationName, string Role, string? Note,
        DateTimeOffset UpdatedAt, ActorRef UpdatedBy);

    internal sealed record MatchResponse(IReadOnlyList<MatchedUnit> Units);

    internal sealed record MatchedUnit(string OrganizationId, string? OrganizationName, string Role, long? RouteId);

    private static async Task<Ok<RouteResponse[]>> ListAsync(HubDb db, HttpContext context, string? domain = null)
    {
        var routes = await db.Routes.AsNoTracking().Where(r => domain == null || r.Domain == domain).OrderBy(r => r.Domain).ThenBy(r => r.Role).ThenBy(r => r.Id).ToListAsync(context.RequestAborted);
        return TypedResults.Ok(await ResponsesAsync(db, routes, context.RequestAborted));
    }

    private static async Task<Results<Ok<MatchResponse>, ProblemHttpResult>> MatchAsync(
        [FromQuery] string? domain, [FromQuery] string? district, [FromQuery] string? profile, [FromQuery] string? level, HubDb db, SpecCatalog spec, AlertRouting routing, HttpContext context)
    {
        var check = new RequestValidator();
        if (domain is null)
        {
            check.Add(ErrorCodes.InvalidParameter, "/domain", "Name the domain, e.g. gas.");
        }
        if (district is null)
        {
            check.Add(ErrorCodes.InvalidParameter, "/district", "Name the alert's district: a GB/T 2260 area code.");
        }
        check.DistrictParameter(district);
        var parsed = check.Parameter<AlertLevel>(level, "level", "Use blue, yellow, orange or red.");
        if (profile is not null && !spec.Profiles.ContainsKey(profile))
        {
            check.Add(ErrorCodes.InvalidParameter, "/profile", $"No profile '{profile}'.");
        }
        if (check.Failed)
        {
            return check.ParameterProblem(context);
        }
        var units = await routing.MatchAsync(domain!, district!, profile ?? "", parsed ?? AlertLevel.Red, context.RequestAborted);
        var ids = units.Select(u => u.OrganizationId).ToList();
        var names = await db.Organizations.AsNoTracking().Where(o => ids.Contains(o.Id)).ToDictionaryAsync(o => o.Id, o => o.Name, context.RequestAborted);
        return TypedResults.Ok(new MatchResponse([.. units.Select(u => new MatchedUnit(u.OrganizationId, names.GetValueOrDefault(u.OrganizationId), u.Role.ToWire(), u.RouteId))]));
    }

    private static Task<Results<Created<RouteResponse>, ProblemHttpResult>> CreateAsync(RouteRequest request, HubDb db, SpecCatalog spec, TimeProvider time, HttpContext context) =>
        AuditedLines.CreateAsync(db, time, context, "route", "/v1/routes",
            (now, actor) => new UnitRoute
            {
                Domain = "",
                Target = RouteTarget.Organization,
                Role = UnitRole.Participant,
                CreatedAt = now,
                CreatedBy = actor,
                UpdatedAt = now,
                UpdatedBy = actor,
            },
            route => ApplyAsync(request, route, db, spec, context), request, route => ResponseAsync(db, route, context));

    private static Task<Results<Ok<RouteResponse>, ProblemHttpResult>> UpdateAsync(long routeId, RouteRequest request, HubDb db, SpecCatalog spec, TimeProvider time, HttpContext context) =>
        AuditedLines.UpdateAsync(db, time, context, "route", db.Routes.Where(r => r.Id == routeId), () => NotFound(context, routeId),
            route => ApplyAsync(request, route, db, spec, context), request, route => ResponseAsync(db, route, context));

    private static Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(long routeId, HubDb db, TimeProvider time, HttpContext context) =>
        AuditedLines.DeleteAsync(db, time, context, "route", db.Routes.Where(r => r.Id == routeId), () => NotFound(context, routeId),
            route => new { route.Domain, route.District, route.Profile, route.OrganizationId });

    /// <summary>Checks a request whole, then writes it into the route; the problem when it fails.</summary>
    private static async Task<ProblemHttpResult?> ApplyAsync(RouteRequest request, UnitRoute route, HubDb db, SpecCatalog spec, HttpContext context)
    {
        var check = new RequestValidator();
        CheckScope(check, spec, request.Domain, request.District, request.Profile);
        AlertLevel? minLevel = null;
        if (request.MinLevel is not null)
        {
            if (WireNames.TryParse<AlertLevel>(request.MinLevel, out var level))
            {
                minLevel = level;
            }
            else
            {
                check.Add(ErrorCodes.InvalidValue, "/minLevel", "Use blue, yellow, orange or red.");
            }
        }
        var target = RouteTarget.Organization;
        if (request.Target is not null && !WireNames.TryParse(request.Target, out target))
        {
            check.Add(ErrorCodes.InvalidValue, "/target", "Use organization or district.");
        }
        if (target == RouteTarget.Organization)
        {
            await UnitsApi.OrganizationAsync(check, db, request.OrganizationId, "/organizationId", context.RequestAborted);
        }
        else if (request.OrganizationId is not null)
        {
            check.Add(ErrorCodes.InvalidValue, "/organizationId", "A district route names no organization: it goes to the government of the alert's own district.");
        }
        var role = UnitRole.Participant;
        if (request.Role is null)
        {
            check.Add(ErrorCodes.MissingField, "/role", "'role' is required: lead or participant.");
        }
        else if (!WireNames.TryParse(request.Role, out role))
        {
            check.Add(ErrorCodes.InvalidValue, "/role", "Use lead or participant.");
        }
        if (request.Note is { Length: > 1000 })
        {
            check.Add(ErrorCodes.InvalidValue, "/note", "A note of at most 1000 characters.");
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }
        (route.Domain, route.District, route.Profile, route.MinLevel, route.Target, route.OrganizationId, route.Role, route.Note) =
            (request.Domain!, request.District, request.Profile, minLevel, target, target == RouteTarget.Organization ? request.OrganizationId : null, role, request.Note);
        return null;
    }

    /// <summary>Checks the alerts a line covers: a domain, optionally a district and a profile of that domain.</summary>
    internal static void CheckScope(RequestValidator check, SpecCatalog spec, string? domain, string? district, string? profile)
    {
        var domains = RoutingPlan.Domains(spec);
        if (domain is null)
        {
            check.Add(ErrorCodes.MissingField, "/domain", "'domain' is required, e.g. gas.");
        }
        else if (!domains.Contains(domain))
        {
            check.Add(ErrorCodes.InvalidValue, "/domain", $"No monitoring domain '{domain}'. Use one of {string.Join(", ", domains.Order(StringComparer.Ordinal))}.");
        }
        check.Area(district, "/district", spec.Areas, required: false);
        if (profile is not null && (!spec.Profiles.TryGetValue(profile, out var found) || found.Domain != domain))
        {
            check.Add(ErrorCodes.InvalidValue, "/profile", $"No profile '{profile}' in domain '{domain}'.");
        }
    }

    private static async Task<RouteResponse[]> ResponsesAsync(HubDb db, IReadOnlyList<UnitRoute> routes, CancellationToken cancellationToken)
    {
        var ids = routes.Select(r => r.OrganizationId).Where(id => id is not null).Distinct().ToList();
        var organizations = await db.Organizations.AsNoTracking().Where(o => ids.Contains(o.Id)).ToDictionaryAsync(o => o.Id, o => o.Name, cancellationToken);
        var names = await ActorNames.LookupAsync(db, routes.Select(r => r.UpdatedBy), cancellationToken);
        return [.. routes.Select(r => new RouteResponse(
            r.Id, r.Domain, r.District, r.Profile, r.MinLevel?.ToWire(), r.Target.ToWire(), r.OrganizationId,
            r.OrganizationId is null ? null : organizations.GetValueOrDefault(r.OrganizationId), r.Role.ToWire(), r.Note,
            DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAt), new ActorRef(r.UpdatedBy, names.GetValueOrDefault(r.UpdatedBy))))];
    }

    private static async Task<RouteResponse> ResponseAsync(HubDb db, UnitRoute route, HttpContext context) =>
        (await ResponsesAsync(db, [route], context.RequestAborted))[0];

    private static ProblemHttpResult NotFound(HttpContext context, long routeId) =>
        ProblemResults.Problem(context, ErrorCodes.RouteNotFound, $"No line {routeId} in the routing table.");
}
