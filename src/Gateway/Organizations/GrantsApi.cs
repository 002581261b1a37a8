using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Organizations;

/// <summary>The operator's grants of wider reads: to an organization, for a domain and/or a district, until an expiry.</summary>
internal static class GrantsApi
{
    public static IEndpointRouteBuilder MapGrants(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/grants").WithTags("Administration").RequireScope(Scopes.Admin);
        group.MapPost("/", CreateAsync).WithName("CreateGrant").WithSummary("Grant an organization reads of a domain and/or a district until an expiry.");
        group.MapGet("/", ListAsync).WithName("ListGrants").WithSummary("List grants, expired ones included.");
        group.MapDelete("/{grantId:long}", RevokeAsync).WithName("RevokeGrant").WithSummary("Revoke a grant.");
        return app;
    }

    internal sealed record CreateGrantRequest(string? GranteeOrganizationId, string? Domain, string? District, DateTimeOffset? ExpiresAt, string? Note);

    internal sealed record GrantResponse(long Id, string GranteeOrganizationId, string? Domain, string? District, DateTimeOffset ExpiresAt, string? Note, string CreatedBy, DateTimeOffset CreatedAt)
    {
        public static GrantResponse From(Grant g) => new(g.Id, g.GranteeOrganizationId, g.Domain, g.District, g.ExpiresAt, g.Note, g.CreatedBy, g.CreatedAt);
    }

    private static async Task<Results<Created<GrantResponse>, ProblemHttpResult>> CreateAsync(
        CreateGrantRequest request, HubDb db, SpecCatalog spec, TimeProvider time, HttpContext context)
    {
        var now = time.GetUtcNow();
        var check = new RequestValidator();
        if (request.GranteeOrganizationId is null)
        {
            check.Add(ErrorCodes.MissingField, "/granteeOrganizationId", "'granteeOrganizationId' is required.");
        }
        else if (!await db.Organizations.AnyAsync(o => o.Id == request.GranteeOrganizationId, context.RequestAborted))
        {
            check.Add(ErrorCodes.InvalidValue, "/granteeOrganizationId", $"No organization '{request.GranteeOrganizationId}'.");
        }
        if (request.Domain is not null && !spec.Profiles.Values.Any(p => p.Domain == request.Domain))
        {
            check.Add(ErrorCodes.InvalidValue, "/domain", "Use a domain of the spec's profiles, e.g. gas or water.");
        }
        check.Area(request.District, "/district", spec.Areas, required: false); // ADM-009
        if (request.Domain is null && request.District is null)
        {
            check.Add(ErrorCodes.MissingField, "/domain", "A grant names a domain, a district, or both.");
        }
        if (request.ExpiresAt is null)
        {
            check.Add(ErrorCodes.MissingField, "/expiresAt", "'expiresAt' is required; grants are never open-ended.");
        }
        else if (request.ExpiresAt <= now)
        {
            check.Add(ErrorCodes.InvalidValue, "/expiresAt", "The expiry must lie in the future.");
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }
        var grant = new Grant
        {
            GranteeOrganizationId = request.GranteeOrganizationId!,
            Domain = request.Domain,
            District = request.District,
            ExpiresAt = request.ExpiresAt!.Value.ToUniversalTime(),
            Note = request.Note,
            CreatedBy = context.Caller().ClientId,
            CreatedAt = now,
        };
        await using var transaction = await db.Database.BeginTransactionAsync(context.RequestAborted);
        db.Grants.Add(grant);
        await db.SaveChangesAsync(context.RequestAborted);
        db.Record(now, grant.CreatedBy, "grant.create", grant.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), new { grant.GranteeOrganizationId, grant.Domain, grant.District, grant.ExpiresAt });
        await db.SaveChangesAsync(context.RequestAborted);
        await transaction.CommitAsync(context.RequestAborted);
        return TypedResults.Created($"/v1/grants/{grant.Id}", GrantResponse.From(grant));
    }

    private static async Task<Ok<GrantResponse[]>> ListAsync(HubDb db, CancellationToken cancellationToken) =>
        TypedResults.Ok((await db.Grants.AsNoTracking().OrderBy(g => g.Id).ToListAsync(cancellationToken)).Select(GrantResponse.From).ToArray());

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(long grantId, HubDb db, TimeProvider time, HttpContext context)
    {
        var grant = await db.Grants.FirstOrDefaultAsync(g => g.Id == grantId, context.RequestAborted);
        if (grant is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.GrantNotFound, $"No grant {grantId}.");
        }
        db.Grants.Remove(grant);
        db.Record(time.GetUtcNow(), context.Caller().ClientId, "grant.revoke", grantId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.NoContent();
    }
}
