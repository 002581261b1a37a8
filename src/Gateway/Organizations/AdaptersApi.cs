using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Organizations;

/// <summary>
/// Adapters: an organization's OAuth2 clients with their allowed profiles and status. The secret is shown once, at
/// creation and at each rotation. Rotation and suspension revoke the adapter's tokens at once. An organization
/// registers, rotates and revokes (suspends) its own adapters (ADM-007); moving between sandbox, certified and
/// production, and lifting a suspension, stay with the operator. Another organization's adapters do not exist for the caller.
/// </summary>
internal static class AdaptersApi
{
    private static readonly string[] DefaultScopes = [Scopes.TelemetryWrite, Scopes.TelemetryRead];

    public static IEndpointRouteBuilder MapAdapters(this IEndpointRouteBuilder app)
    {
        var byOrganization = app.MapGroup("/v1/organizations/{organizationId}/adapters").WithTags("Administration").RequireSelfService();
        byOrganization.MapPost("/", CreateAsync).WithName("CreateAdapter").WithSummary("Register an adapter; the response holds its client secret, shown only this once.");
        byOrganization.MapGet("/", ListAsync).WithName("ListAdapters").WithSummary("List an organization's adapters.");

        var adapters = app.MapGroup("/v1/adapters/{adapterId}").WithTags("Administration");
        adapters.MapGet("/", GetAsync).RequireSelfService().WithName("GetAdapter").WithSummary("Get one adapter.");
        adapters.MapPost("/secret", RotateSecretAsync).RequireSelfService().WithName("RotateAdapterSecret").WithSummary("Issue a new client secret; the old secret and every token issued with it stop working at once.");
        adapters.MapPut("/status", SetStatusAsync).RequireScope(Scopes.Admin).WithName("SetAdapterStatus").WithSummary("Move an adapter between sandbox, certified and production.");
        adapters.MapPost("/suspend", SuspendAsync).RequireSelfService().WithName("SuspendAdapter").WithSummary("Suspend (revoke) an adapter; its tokens stop working at once.");
        adapters.MapPost("/resume", ResumeAsync).RequireScope(Scopes.Admin).WithName("ResumeAdapter").WithSummary("Lift a suspension; the adapter returns to the status it had. Tokens issued before the suspension stay revoked.");
        return app;
    }

    internal sealed record CreateAdapterRequest(string? Id, string? Name, string[]? AllowedProfiles, string[]? Scopes);

    internal sealed record SetStatusRequest(string? Status, string? Note);

    internal sealed record AdapterResponse(
        string Id, string OrganizationId, string Name, string Status, IReadOnlyList<string>? AllowedProfiles, IReadOnlyList<string> Scopes,
        DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    {
        public static AdapterResponse From(Adapter a) => new(a.Id, a.OrganizationId, a.Name, a.Status.ToWire(), a.AllowedProfiles, a.Scopes, a.CreatedAt, a.UpdatedAt);
    }

    /// <summary>An adapter with its credentials: the only time the secret is shown.</summary>
    internal sealed record AdapterCredentialsResponse(AdapterResponse Adapter, string ClientId, string ClientSecret, string TokenEndpoint);

    private static async Task<Results<Created<AdapterCredentialsResponse>, ProblemHttpResult>> CreateAsync(
        string organizationId, CreateAdapterRequest request, HubDb db, SpecCatalog spec, ClientCredentials credentials, TimeProvider time, HttpContext context)
    {
        var caller = context.Caller();
        var organization = caller.Manages(organizationId)
            ? await db.Organizations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == organizationId, context.RequestAborted)
            : null;
        if (organization is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.OrganizationNotFound, $"No organization '{organizationId}'.");
        }
        var check = new RequestValidator();
        var id = request.Id ?? $"{organizationId}-{ClientCredentials.NewStamp()[..6]}";
        check.Text(id, "/id", Patterns.AdapterId(), "Use 3–100 lower-case letters, digits, dots, hyphens and underscores.");
        check.Text(request.Name, "/name", Patterns.Name(), "Use 1–200 characters without leading or trailing spaces.");
        for (var i = 0; i < (request.AllowedProfiles?.Length ?? 0); i++)
        {
            if (!spec.Profiles.ContainsKey(request.AllowedProfiles![i]))
            {
                check.Add(ErrorCodes.ProfileUnknown, $"/allowedProfiles/{i}", $"'{request.AllowedProfiles[i]}' is not a profile of the spec.");
            }
        }
        var scopes = request.Scopes ?? DefaultScopes;
        for (var i = 0; i < scopes.Length; i++)
        {
            if (!Scopes.All.Contains(scopes[i]))
            {
                check.Add(ErrorCodes.InvalidValue, $"/scopes/{i}", $"'{scopes[i]}' is not a scope; use {string.Join(", ", Scopes.All)}.");
            }
            else if (scopes[i] == Scopes.Admin && organization.Kind != OrganizationKind.Operator)
            {
                check.Add(ErrorCodes.InvalidValue, $"/scopes/{i}", "Only the operator's own adapters may hold the admin scope.");
            }
            else if (!caller.IsAdmin && !caller.Scopes.Contains(scopes[i]) && !DefaultScopes.Contains(scopes[i]))
            {
                check.Add(ErrorCodes.InsufficientScope, $"/scopes/{i}", $"An adapter can be given only scopes its creator holds; '{scopes[i]}' is not among yours.");
            }
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }
        if (await db.Adapters.AnyAsync(a => a.Id == id, context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.AdapterExists, $"Adapter id '{id}' is taken.");
        }

        var now = time.GetUtcNow();
        var adapter = new Adapter
        {
            Id = id,
            OrganizationId = organizationId,
            Name = request.Name!,
            Status = AdapterStatus.Sandbox,
            AllowedProfiles = request.AllowedProfiles?.Distinct(StringComparer.Ordinal).ToList(),
            Scopes = [.. scopes.Distinct(StringComparer.Ordinal)],
            SecurityStamp = ClientCredentials.NewStamp(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        var secret = ClientCredentials.NewSecret();
        await using var transaction = await db.Database.BeginTransactionAsync(context.RequestAborted);
        db.Adapters.Add(adapter);
        db.Record(now, context.Caller().ClientId, "adapter.create", id, new { organizationId, adapter.Name, adapter.AllowedProfiles, adapter.Scopes });
        await db.SaveChangesAsync(context.RequestAborted);
        await credentials.CreateAsync(adapter, secret, context.RequestAborted);
        await transaction.CommitAsync(context.RequestAborted);
        return TypedResults.Created($"/v1/adapters/{id}", new AdapterCredentialsResponse(AdapterResponse.From(adapter), id, secret, TokenEndpoint.Path));
    }

    private static async Task<Results<Ok<AdapterResponse[]>, ProblemHttpResult>> ListAsync(string organizationId, HubDb db, HttpContext context)
    {
        if (!context.Caller().Manages(organizationId) || !await db.Organizations.AnyAsync(o => o.Id == organizationId, context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.OrganizationNotFound, $"No organization '{organizationId}'.");
        }
        var adapters = await db.Adapters.AsNoTracking().Where(a => a.OrganizationId == organizationId).OrderBy(a => a.Id).ToListAsync(context.RequestAborted);
        return TypedResults.Ok(adapters.Select(AdapterResponse.From).ToArray());
    }

    private static async Task<Results<Ok<AdapterResponse>, ProblemHttpResult>> GetAsync(string adapterId, HubDb db, HttpContext context) =>
        await db.Adapters.AsNoTracking().Managed(context).FirstOrDefaultAsync(a => a.Id == adapterId, context.RequestAborted) is { } adapter
            ? TypedResults.Ok(AdapterResponse.From(adapter))
            : NotFound(context, adapterId);

    private static async Task<Results<Ok<AdapterCredentialsResponse>, ProblemHttpResult>> RotateSecretAsync(
        string adapterId, HubDb db, ClientCredentials credentials, TimeProvider time, HttpContext context)
    {
        var adapter = await db.Adapters.Managed(context).FirstOrDefaultAsync(a => a.Id == adapterId, context.RequestAborted);
        if (adapter is null)
        {
            return NotFound(context, adapterId);
        }
        var now = time.GetUtcNow();
        var secret = ClientCredentials.NewSecret();
        await using var transaction = await db.Database.BeginTransactionAsync(context.RequestAborted);
        adapter.SecurityStamp = ClientCredentials.NewStamp();
        adapter.UpdatedAt = now;
        db.Record(now, context.Caller().ClientId, "adapter.rotate-secret", adapterId);
        await db.SaveChangesAsync(context.RequestAborted);
        await credentials.SetSecretAsync(adapterId, secret, context.RequestAborted);
        await transaction.CommitAsync(context.RequestAborted);
        await EndSessionsAsync(context, adapterId, ErrorCodes.TokenInvalid);
        return TypedResults.Ok(new AdapterCredentialsResponse(AdapterResponse.From(adapter), adapterId, secret, TokenEndpoint.Path));
    }

    private static async Task<Results<Ok<AdapterResponse>, ProblemHttpResult>> SetStatusAsync(
        string adapterId, SetStatusRequest request, HubDb db, TimeProvider time, HttpContext context)
    {
        if (!WireNames.TryParse<AdapterStatus>(request.Status, out var status) || status == AdapterStatus.Suspended)
        {
            return new RequestValidator().Add(request.Status is null ? ErrorCodes.MissingField : ErrorCodes.InvalidValue, "/status", "Use sandbox, certified or production; suspend with POST …/suspend.").Problem(context);
        }
        return await ChangeAsync(adapterId, db, time, context, "adapter.set-status", request.Note, adapter =>
            adapter.Status == AdapterStatus.Suspended ? "The adapter is suspended; resume it first." : null,
            adapter => adapter.Status = status);
    }

    private static Task<Results<Ok<AdapterResponse>, ProblemHttpResult>> SuspendAsync(string adapterId, NoteRequest? request, HubDb db, TimeProvider time, HttpContext context) =>
        ChangeAsync(adapterId, db, time, context, "adapter.suspend", request?.Note,
            adapter => adapter.Status == AdapterStatus.Suspended ? "The adapter is already suspended." : null,
            adapter =>
            {
                adapter.StatusBeforeSuspension = adapter.Status;
                adapter.Status = AdapterStatus.Suspended;
            });

    private static Task<Results<Ok<AdapterResponse>, ProblemHttpResult>> ResumeAsync(string adapterId, NoteRequest? request, HubDb db, TimeProvider time, HttpContext context) =>
        ChangeAsync(adapterId, db, time, context, "adapter.resume", request?.Note,
            adapter => adapter.Status != AdapterStatus.Suspended ? "The adapter is not suspended." : null,
            adapter =>
            {
                adapter.Status = adapter.StatusBeforeSuspension ?? AdapterStatus.Sandbox;
                adapter.StatusBeforeSuspension = null;
                // Tokens from before the suspension must not come back to life.
                adapter.SecurityStamp = ClientCredentials.NewStamp();
            });

    private static async Task<Results<Ok<AdapterResponse>, ProblemHttpResult>> ChangeAsync(
        string adapterId, HubDb db, TimeProvider time, HttpContext context, string action, string? note,
        Func<Adapter, string?> refuse, Action<Adapter> change)
    {
        var adapter = await db.Adapters.Managed(context).FirstOrDefaultAsync(a => a.Id == adapterId, context.RequestAborted);
        if (adapter is null)
        {
            return NotFound(context, adapterId);
        }
        if (refuse(adapter) is { } reason)
        {
            return ProblemResults.Problem(context, ErrorCodes.AdapterInvalidTransition, reason);
        }
        if (adapter.Id == context.Caller().ClientId)
        {
            return ProblemResults.Problem(context, ErrorCodes.AdapterInvalidTransition, "A client cannot change its own status.");
        }
        var before = adapter.Status;
        change(adapter);
        var now = time.GetUtcNow();
        adapter.UpdatedAt = now;
        db.Record(now, context.Caller().ClientId, action, adapterId, new { from = before.ToWire(), to = adapter.Status.ToWire(), note });
        await db.SaveChangesAsync(context.RequestAborted);
        if (adapter.Status == AdapterStatus.Suspended)
        {
            await EndSessionsAsync(context, adapterId, ErrorCodes.AdapterSuspended);
        }
        return TypedResults.Ok(AdapterResponse.From(adapter));
    }

    private static async Task EndSessionsAsync(HttpContext context, string adapterId, string reason)
    {
        foreach (var sessions in context.RequestServices.GetServices<IClientSessions>())
        {
            await sessions.EndAsync(adapterId, reason);
        }
    }

    /// <summary>The adapters the caller manages: its organization's, or every one with the admin scope.</summary>
    internal static IQueryable<Adapter> Managed(this IQueryable<Adapter> adapters, HttpContext context)
    {
        var caller = context.Caller();
        return caller.IsAdmin ? adapters : adapters.Where(a => a.OrganizationId == caller.OrganizationId);
    }

    private static ProblemHttpResult NotFound(HttpContext context, string adapterId) =>
        ProblemResults.Problem(context, ErrorCodes.AdapterNotFound, $"No adapter '{adapterId}'.");
}
