using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Portal;
using IntegrationHub.Portal.Pages;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Users;

/// <summary>
/// Signing in to the portal (AUTH-005): a form with the email and password, checked against the stored hash, with a
/// lockout after repeated failures and a per-address rate limit; accepting an invitation by choosing a password;
/// signing out. Forms carry anti-forgery tokens. Failures never say whether the email exists.
/// </summary>
internal static partial class AccountEndpoints
{
    public const string SignInPath = "/account/sign-in";
    public const string InvitationPath = "/account/invitation";
    private const string BadCredentials = "The email or the password is wrong, or the account is locked for a while after too many attempts.";

    public static IEndpointRouteBuilder MapAccount(this IEndpointRouteBuilder app)
    {
        var account = app.MapGroup("/account").ExcludeFromDescription().AllowAnonymous().AsPortalPages(PortalEndpoints.DocsContentSecurityPolicy);
        account.MapGet("/sign-in", (string? returnUrl, IAntiforgery antiforgery, HttpContext context) => SignInPage(context, antiforgery, returnUrl, null));
        account.MapPost("/sign-in", SignInAsync).RequireRateLimiting(HubRateLimits.TokenPolicy);
        account.MapPost("/sign-out", (Delegate)SignOutAsync).WithMetadata(new RequireAntiforgeryTokenAttribute());
        account.MapGet("/session", SessionAsync);
        account.MapGet("/invitation", (string? token, IAntiforgery antiforgery, IOptions<UserOptions> options, HttpContext context) =>
            InvitationPage(context, antiforgery, token, null, options.Value.MinPasswordLength));
        account.MapPost("/invitation", AcceptInvitationAsync).RequireRateLimiting(HubRateLimits.TokenPolicy);
        return app;
    }

    private static async Task<IResult> SignInAsync(
        [FromForm] string? email, [FromForm] string? password, [FromForm] string? returnUrl,
        HubDb db, TimeProvider time, IOptions<UserOptions> options, IAntiforgery antiforgery, ILogger<User> logger, HttpContext context)
    {
        var now = time.GetUtcNow();
        var address = email?.Trim().ToLowerInvariant();
        var user = address is null ? null : await db.Users.FirstOrDefaultAsync(u => u.Email == address, context.RequestAborted);
        var locked = user?.LockedUntil is { } until && until > now.ToUnixTimeMilliseconds();
        // An unknown email costs the same hash as a known one, so the answer's timing does not tell them apart.
        var verified = PasswordHashing.Verify(password ?? "", user?.PasswordHash ?? PasswordHashing.Decoy(options.Value.PasswordIterations));
        if (user is null || locked || user.Status != UserStatus.Active || !verified)
        {
            if (user is not null && !locked)
            {
                user.FailedSignIns++;
                if (user.FailedSignIns >= options.Value.MaxFailedSignIns)
                {
                    (user.LockedUntil, user.FailedSignIns) = ((now + options.Value.Lockout).ToUnixTimeMilliseconds(), 0);
                    db.Record(now, user.Id, "user.locked", user.Id);
                    Locked(logger, user.Id);
                }
                await db.SaveChangesAsync(context.RequestAborted);
            }
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return SignInPage(context, antiforgery, returnUrl, BadCredentials);
        }
        (user.FailedSignIns, user.LockedUntil, user.LastSignInAt) = (0, null, now.ToUnixTimeMilliseconds());
        db.Record(now, user.Id, "user.sign-in", user.Id);
        await db.SaveChangesAsync(context.RequestAborted);
        await context.SignInAsync(UserAccess.Scheme, UserAccess.Principal(user));
        return Results.LocalRedirect(LocalOrHome(returnUrl, user));
    }

    internal sealed record SessionResponse(string Id, string Name, string Email, string OrganizationId, string OrganizationKind, IReadOnlyList<string> Scopes, string CsrfToken);

    /// <summary>
    /// The signed-in person and the anti-forgery token the portal's scripts send with API changes (X-CSRF-TOKEN). Only
    /// the portal's own pages can read it: the hub allows no cross-origin reads.
    /// </summary>
    private static async Task<IResult> SessionAsync(UserAccess users, IAntiforgery antiforgery, HttpContext context)
    {
        var session = await context.AuthenticateAsync(UserAccess.Scheme);
        if (!session.Succeeded || (await users.DecideAsync(session.Principal, context.RequestAborted)).Caller is not { } caller)
        {
            return ProblemResults.Problem(context, Conformance.Spec.ErrorCodes.TokenMissing, "Not signed in to the portal.");
        }
        context.User = session.Principal;
        var tokens = antiforgery.GetAndStoreTokens(context);
        context.Response.Headers.CacheControl = "no-store";
        return Results.Ok(new SessionResponse(caller.ClientId, session.Principal.FindFirst(OpenIddict.Abstractions.OpenIddictConstants.Claims.Name)?.Value ?? "",
            session.Principal.FindFirst(UserAccess.UserClaim)?.Value ?? "", caller.OrganizationId, caller.OrganizationKind.ToString().ToLowerInvariant(),
            [.. caller.Scopes.Order(StringComparer.Ordinal)], tokens.RequestToken!));
    }

    private static async Task<IResult> SignOutAsync(HttpContext context)
    {
        await context.SignOutAsync(UserAccess.Scheme);
        return Results.LocalRedirect("/");
    }

    private static async Task<IResult> AcceptInvitationAsync(
        [FromForm] string? token, [FromForm] string? password, [FromForm] string? confirm,
        HubDb db, TimeProvider time, IOptions<UserOptions> options, IAntiforgery antiforgery, HttpContext context)
    {
        var now = time.GetUtcNow();
        var hash = token is null ? null : PasswordHashing.TokenHash(token);
        var user = hash is null ? null : await db.Users.FirstOrDefaultAsync(u => u.InvitationHash == hash && u.Status == UserStatus.Invited, context.RequestAborted);
        string? problem = user is null || user.InvitationExpiresAt < now.ToUnixTimeMilliseconds()
            ? "This invitation is not valid any more; ask your organization's administrator for a new one."
            : password is null || password.Length < options.Value.MinPasswordLength
                ? "Choose a password of at least {0} characters."
                : password != confirm ? "The two passwords differ." : null;
        if (problem is not null)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return InvitationPage(context, antiforgery, token, problem, options.Value.MinPasswordLength);
        }
        user!.PasswordHash = PasswordHashing.Hash(password!, options.Value.PasswordIterations);
        (user.Status, user.InvitationHash, user.InvitationExpiresAt, user.SecurityStamp) = (UserStatus.Active, null, null, PasswordHashing.NewStamp());
        user.LastSignInAt = now.ToUnixTimeMilliseconds();
        db.Record(now, user.Id, "user.accept-invitation", user.Id);
        await db.SaveChangesAsync(context.RequestAborted);
        await context.SignInAsync(UserAccess.Scheme, UserAccess.Principal(user));
        return Results.LocalRedirect(LocalOrHome(null, user));
    }

    private static RazorComponentResult<SignIn> SignInPage(HttpContext context, IAntiforgery antiforgery, string? returnUrl, string? error)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        return new RazorComponentResult<SignIn>(new Dictionary<string, object?>
        {
            [nameof(SignIn.Form)] = new PortalForm(tokens.FormFieldName, tokens.RequestToken!),
            [nameof(SignIn.ReturnUrl)] = returnUrl,
            [nameof(SignIn.Error)] = error,
        });
    }

    /// <summary>The invitation form; an error is the English text the portal's resources key it by, shown in the reader's language.</summary>
    private static RazorComponentResult<Invitation> InvitationPage(HttpContext context, IAntiforgery antiforgery, string? token, string? error, int minPasswordLength)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        return new RazorComponentResult<Invitation>(new Dictionary<string, object?>
        {
            [nameof(Invitation.Form)] = new PortalForm(tokens.FormFieldName, tokens.RequestToken!),
            [nameof(Invitation.Token)] = token,
            [nameof(Invitation.Error)] = error,
            [nameof(Invitation.MinPasswordLength)] = minPasswordLength,
        });
    }

    /// <summary>Back where the person was going, if that is on this hub; else the console (operator) or the developer pages.</summary>
    private static string LocalOrHome(string? returnUrl, User user) =>
        returnUrl is { Length: > 1 } url && url[0] == '/' && url[1] is not '/' and not '\\'
            ? url
            : user.OrganizationId == Organization.OperatorId ? "/console" : "/developer";

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Account {UserId} locked after repeated failed sign-ins")]
    private static partial void Locked(ILogger logger, string userId);
}
