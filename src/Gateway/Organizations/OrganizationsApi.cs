using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Organizations;

/// <summary>The operator's administration of tenants: organizations, with their GB/T 2260 area codes.</summary>
internal static class OrganizationsApi
{
    public static IEndpointRouteBuilder MapOrganizations(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/organizations").WithTags("Administration").RequireScope(Scopes.Admin);
        group.MapPost("/", CreateAsync).WithName("CreateOrganization").WithSummary("Create an organization: a district, a city department or an enterprise.");
        group.MapGet("/", ListAsync).WithName("ListOrganizations").WithSummary("List organizations.");
        group.MapGet("/{organizationId}", GetAsync).WithName("GetOrganization").WithSummary("Get one organization.");
        return app;
    }

    internal sealed record CreateOrganizationRequest(string? Id, string? Name, string? Kind, string? AreaCode);

    internal sealed record OrganizationResponse(string Id, string Name, string Kind, string? AreaCode, DateTimeOffset CreatedAt)
    {
        public static OrganizationResponse From(Organization o) => new(o.Id, o.Name, o.Kind.ToWire(), o.AreaCode, o.CreatedAt);
    }

    private static async Task<Results<Created<OrganizationResponse>, ProblemHttpResult>> CreateAsync(
        CreateOrganizationRequest request, HubDb db, SpecCatalog spec, TimeProvider time, HttpContext context)
    {
        var check = new RequestValidator();
        var id = request.Id ?? "org-" + ClientCredentials.NewStamp()[..8];
        check.Text(id, "/id", Patterns.OrganizationId(), "Use 2–64 lower-case letters, digits and hyphens.");
        check.Text(request.Name, "/name", Patterns.Name(), "Use 1–200 characters without leading or trailing spaces.");
        OrganizationKind kind = default;
        if (request.Kind is null)
        {
            check.Add(ErrorCodes.MissingField, "/kind", "'kind' is required: district, department or enterprise.");
        }
        else if (!WireNames.TryParse(request.Kind, out kind) || kind == OrganizationKind.Operator)
        {
            check.Add(ErrorCodes.InvalidValue, "/kind", "Use district, department or enterprise.");
        }
        check.Area(request.AreaCode, "/areaCode", spec.Areas, required: kind == OrganizationKind.District); // ADM-001, ADM-009
        if (check.Failed)
        {
            return check.Problem(context);
        }
        if (await db.Organizations.AnyAsync(o => o.Id == id, context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.OrganizationExists, $"Organization '{id}' already exists.");
        }

        var now = time.GetUtcNow();
        var organization = new Organization { Id = id, Name = request.Name!, Kind = kind, AreaCode = request.AreaCode, CreatedAt = now };
        db.Organizations.Add(organization);
        db.Record(now, context.Caller().ClientId, "organization.create", id, new { organization.Name, kind = kind.ToWire(), organization.AreaCode });
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.Created($"/v1/organizations/{id}", OrganizationResponse.From(organization));
    }

    private static async Task<Ok<OrganizationResponse[]>> ListAsync(HubDb db, CancellationToken cancellationToken) =>
        TypedResults.Ok((await db.Organizations.AsNoTracking().OrderBy(o => o.Id).ToListAsync(cancellationToken)).Select(OrganizationResponse.From).ToArray());

    private static async Task<Results<Ok<OrganizationResponse>, ProblemHttpResult>> GetAsync(string organizationId, HubDb db, HttpContext context) =>
        await db.Organizations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == organizationId, context.RequestAborted) is { } organization
            ? TypedResults.Ok(OrganizationResponse.From(organization))
            : ProblemResults.Problem(context, ErrorCodes.OrganizationNotFound, $"No organization '{organizationId}'.");
}

internal static class WireNames
{
    /// <summary>Enum values on the wire: lower-case words.</summary>
    public static string ToWire<T>(this T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>Parses a wire name; numbers and other spellings are refused.</summary>
    public static bool TryParse<T>(string? text, out T value)
        where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (string.Equals(candidate.ToWire(), text, StringComparison.Ordinal))
            {
                value = candidate;
                return true;
            }
        }
        value = default;
        return false;
    }
}
