using System.Security.Claims;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Users;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;

namespace IntegrationHub.Gateway.Auth;

/// <summary>One authorization policy per scope. Each also checks that the client is still allowed in (not suspended, token not revoked).</summary>
internal static class HubPolicies
{
    /// <summary>Any active client, whatever its scopes: for endpoints that check scopes per request (the event stream).</summary>
    public const string ActiveClient = "client";

    /// <summary>A signed-in person on the portal's pages (not the API): the session cookie, checked like the API's callers.</summary>
    public const string PortalSession = "portal-session";

    /// <summary>Self-service: an organization manages its own adapters and devices; the operator's admin scope reaches every organization's.</summary>
    public static readonly string SelfService = ForScope(Scopes.Admin, Scopes.OrganizationManage);

    /// <summary>What adapters leave behind (quarantine, certification sessions): an adapter reads its own, an organization's people all of its adapters'.</summary>
    public static readonly string SenderOrOrganization = ForScope(Scopes.TelemetryWrite, Scopes.OrganizationManage);

    /// <summary>
    /// People are listed for those who manage them and for those who assign them to alerts (LOOP-003): a unit's officers
    /// (alerts:manage). Those who only read alerts, a responder or a wall screen, have no one to assign.
    /// </summary>
    public static readonly string PeopleReaders = ForScope(Scopes.UsersManage, Scopes.AlertsManage);

    /// <summary>The endpoints open to any one of several scopes; each combination is a policy of its own.</summary>
    private static readonly string[][] Alternatives =
        [[Scopes.Admin, Scopes.OrganizationManage], [Scopes.TelemetryWrite, Scopes.OrganizationManage], [Scopes.DevicesCommand, Scopes.TelemetryWrite], [Scopes.UsersManage, Scopes.AlertsManage]];

    public static string ForScope(params string[] anyOf) => "scope:" + string.Join('|', anyOf);

    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(ForScope(scope));

    public static TBuilder RequireSelfService<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(SelfService);

    public static AuthorizationBuilder AddScopePolicies(this AuthorizationBuilder builder)
    {
        builder.AddPolicy(ActiveClient, policy => policy
            .AddAuthenticationSchemes(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme, UserAccess.Scheme)
            .RequireAuthenticatedUser()
            .AddRequirements(new ActiveClientRequirement()));
        foreach (var anyOf in Scopes.All.Select(scope => new[] { scope }).Concat(Alternatives))
        {
            builder.AddPolicy(ForScope(anyOf), policy => policy
                .AddAuthenticationSchemes(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme, UserAccess.Scheme)
                .RequireAuthenticatedUser()
                .AddRequirements(new ActiveClientRequirement(), new ScopeRequirement(anyOf)));
        }
        builder.AddPolicy(PortalSession, policy => policy
            .AddAuthenticationSchemes(UserAccess.Scheme)
            .RequireAuthenticatedUser()
            .AddRequirements(new ActiveClientRequirement()));
        return builder;
    }
}

internal sealed record ActiveClientRequirement : IAuthorizationRequirement;

/// <summary>The caller holds at least one of these scopes.</summary>
internal sealed record ScopeRequirement(IReadOnlyList<string> AnyOf) : IAuthorizationRequirement
{
    public string Scope => AnyOf[0];
}

/// <summary>Why an authenticated caller was turned away, with the error code and status to answer with.</summary>
internal sealed class HubAuthorizationFailure(IAuthorizationHandler handler, string code, string message, int status)
    : AuthorizationFailureReason(handler, message)
{
    public string Code { get; } = code;
    public int Status { get; } = status;
}

/// <summary>
/// Looks the caller up on every request, so that suspension, secret rotation and a changed account take effect at
/// once even though tokens and sessions are self-contained: a client through <see cref="ClientAccess"/>, a person
/// signed in to the portal through <see cref="UserAccess"/>. A bearer token wins over a session cookie. A session's
/// state-changing requests must carry its anti-forgery token (the portal's pages send it as <c>X-CSRF-TOKEN</c>).
/// </summary>
internal sealed class ActiveClientHandler(ClientAccess clients, IAntiforgery antiforgery) : AuthorizationHandler<ActiveClientRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ActiveClientRequirement requirement)
    {
        if (context.Resource is not HttpContext http || context.User.ClientId() is null)
        {
            return;
        }
        if (http.Features.Get<Caller>() is null)
        {
            var session = http.Request.Headers.Authorization.Count == 0 && UserAccess.IsUser(context.User);
            if (session && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method) && !await antiforgery.IsRequestValidAsync(http))
            {
                context.Fail(new HubAuthorizationFailure(this, ErrorCodes.AntiforgeryFailed, "A request made with a portal session must carry its anti-forgery token (X-CSRF-TOKEN).", StatusCodes.Status403Forbidden));
                return;
            }
            var decision = await DecideAsync(http, context.User, clients);
            if (decision.Caller is null)
            {
                context.Fail(new HubAuthorizationFailure(this, decision.RefusalCode!, decision.Detail!, StatusCodes.Status401Unauthorized));
                return;
            }
            http.Features.Set(decision.Caller);
        }
        context.Succeed(requirement);
    }

    /// <summary>
    /// The database's word on whoever made the request: a person with a session, or a client with a token. A person's
    /// session is looked up in the request's database context, taken only then: a client's request (every proxied call
    /// among them) is decided from <see cref="ClientAccess"/>'s memory and opens no context.
    /// </summary>
    public static ValueTask<AccessDecision> DecideAsync(HttpContext http, ClaimsPrincipal user, ClientAccess clients) =>
        http.Request.Headers.Authorization.Count == 0 && UserAccess.IsUser(user)
            ? new(http.RequestServices.GetRequiredService<UserAccess>().DecideAsync(user, http.RequestAborted))
            : clients.DecideAsync(user.ClientId()!, user.GetClaim(HubClaims.Stamp), user.GetScopes(), http.RequestAborted);
}

internal sealed class ScopeHandler : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        // The caller's scopes as the database decided them (a person's come from its role), else the token's.
        var scopes = (context.Resource as HttpContext)?.Features.Get<Caller>()?.Scopes;
        if (requirement.AnyOf.Any(scope => scopes?.Contains(scope) ?? context.User.HasScope(scope)))
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new HubAuthorizationFailure(this, ErrorCodes.InsufficientScope, $"This operation needs the '{requirement.Scope}' scope.", StatusCodes.Status403Forbidden));
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// Answers refused requests with problem details and RFC 6750 <c>WWW-Authenticate</c> headers, instead of the
/// authentication handler's empty challenge.
/// </summary>
internal sealed class ProblemAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Succeeded || !(context.Request.Path.StartsWithSegments("/v1") || context.Request.Path.StartsWithSegments("/upstream")))
        {
            return _default.HandleAsync(next, context, policy, authorizeResult);
        }
        if (authorizeResult.Challenged)
        {
            var sent = context.Request.Headers.Authorization.Count > 0;
            return Refuse(context, sent ? ErrorCodes.TokenInvalid : ErrorCodes.TokenMissing,
                sent ? "The access token is invalid or has expired." : "Send an access token: Authorization: Bearer <token>.",
                StatusCodes.Status401Unauthorized, sent ? "error=\"invalid_token\"" : null);
        }
        var failure = authorizeResult.AuthorizationFailure?.FailureReasons.OfType<HubAuthorizationFailure>().FirstOrDefault();
        if (failure is null)
        {
            return Refuse(context, ErrorCodes.InsufficientScope, "The caller may not perform this operation.", StatusCodes.Status403Forbidden, "error=\"insufficient_scope\"");
        }
        var challenge = failure.Status == StatusCodes.Status401Unauthorized
            ? $"error=\"invalid_token\", error_description=\"{failure.Message}\""
            : $"error=\"insufficient_scope\", scope=\"{policy.Requirements.OfType<ScopeRequirement>().FirstOrDefault()?.Scope}\"";
        return Refuse(context, failure.Code, failure.Message, failure.Status, challenge);
    }

    private static Task Refuse(HttpContext context, string code, string detail, int status, string? challenge)
    {
        context.Response.Headers.WWWAuthenticate = challenge is null ? "Bearer realm=\"IntegrationHub\"" : $"Bearer realm=\"IntegrationHub\", {challenge}";
        return ProblemResults.WriteAsync(context, code, detail, status);
    }
}
