using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
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
/// lockout after repeated failures and a per-address rate limit; choosing a password through an invitation or a reset
/// link; signing out, which ends the session on the hub. Forms carry anti-forgery tokens. Failures never say whether
/// the email exists.
/// </summary>
internal static partial class AccountEndpoints
{
    public const string SignInPath = "/account/sign-in";
    public const string InvitationPath = "/account/invitation";
    public const string PasswordResetPath = "/account/password-reset";
    private const string BadCredentials = "The email or the password is wrong, or the account is locked for a while after too many attempts.";

    public static IEndpointRouteBuilder MapAccount(this IEndpointRouteBuilder app)
    {
        var account = app.MapGroup("/account").ExcludeFromDescription().AllowAnonymous().AsPortalPages(PortalEndpoints.DocsContentSecurityPolicy);
        account.MapGet("/sign-in", (string? returnUrl, IAntiforgery antiforgery, HttpContext context) => SignInPage(context, antiforgery, returnUrl, null));
        account.MapPost("/sign-in", SignInAsync).RequireRateLimiting(HubRateLimits.TokenPolicy);
        account.MapPost("/sign-out", SignOutAsync).WithMetadata(new RequireAntiforgeryTokenAttribute());
        account.MapGet("/session", SessionAsync);
        // An invitation and a reset are the same step: a link with which the person chooses a password.
        foreach (var (path, reset) in new[] { ("/invitation", false), ("/password-reset", true) })
        {
            account.MapGet(path, (string? token, IAntiforgery antiforgery, IOptions<UserOptions> options, HttpContext context) =>
                PasswordPage(context, antiforgery, token, null, options.Value.MinPasswordLength, reset));
            account.MapPost(path, (
                [FromForm] string? token, [FromForm] string? password, [FromForm] string? confirm,
                HubDb db, TimeProvider time, IOptions<UserOptions> options, IAntiforgery antiforgery, HttpContext context) =>
                ChoosePasswordAsync(token, password, confirm, reset, db, time, options.Value, antiforgery, context)).RequireRateLimiting(HubRateLimits.TokenPolicy);
        }
        return app;
    }

    private static async Task<IResult> SignInAsync(
        [FromForm] string? email, [FromForm] string? password, [FromForm] string? returnUrl,
        HubDb db, TimeProvider time, IOptions<UserOptions> options, IAntiforgery antiforgery, ILogger<User> logger, HttpContext context)
    {
        var now = time.GetUtcNow();
        var address = email?.Trim().ToLowerInvariant();
        var user = address is null ? null : await db.Users.FirstOrDefaultAsync(u => u.Email == address, context.RequestAborted);
        if (!CheckPassword(user, password ?? "", now, options.Value, db, logger) || user!.Status != UserStatus.Active)
        {
            if (user is not null)
            {
                await db.SaveChangesAsync(context.RequestAborted);
            }
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return SignInPage(context, antiforgery, returnUrl, BadCredentials);
        }
        (user.FailedSignIns, user.LockedUntil) = (0, null);
        db.Record(now, user.Id, "user.sign-in", user.Id);
        await StartSessionAsync(context, db, user, now, options.Value);
        return Results.LocalRedirect(LocalOrHome(returnUrl, user));
    }

    /// <summary>
    /// Whether the password is the person's and the account is not locked. A wrong one counts towards the lockout (the
    /// caller saves the count). An unknown person costs the same hash as a known one, so timing does not tell them apart.
    /// </summary>
    internal static bool CheckPassword(User? user, string password, DateTimeOffset now, UserOptions options, HubDb db, ILogger logger)
    {
        var locked = user?.LockedUntil is { } until && until > now.ToUnixTimeMilliseconds();
        var verified = PasswordHashing.Verify(password, user?.PasswordHash ?? PasswordHashing.Decoy(options.PasswordIterations));
        if (user is null || locked)
        {
            return false;
        }
        if (!verified && ++user.FailedSignIns >= options.MaxFailedSignIns)
        {
            (user.LockedUntil, user.FailedSignIns) = ((now + options.Lockout).ToUnixTimeMilliseconds(), 0);
            db.Record(now, user.Id, "user.locked", user.Id);
            Locked(logger, user.Id);
        }
        return verified;
    }

    /// <summary>A new session on the hub, and its cookie. Sessions that have run out, anyone's, go at the same time.</summary>
    private static async Task StartSessionAsync(HttpContext context, HubDb db, User user, DateTimeOffset now, UserOptions options)
    {
        await db.UserSessions.Where(s => s.ExpiresAt <= now.ToUnixTimeMilliseconds()).ExecuteDeleteAsync(context.RequestAborted);
        var session = UserSession.Start(user.Id, now, options.SessionLifetime);
        db.UserSessions.Add(session);
        user.LastSignInAt = now.ToUnixTimeMilliseconds();
        await db.SaveChangesAsync(context.RequestAborted);
        await context.SignInAsync(UserAccess.Scheme, UserAccess.Principal(user, session));
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
            return ProblemResults.Problem(context, ErrorCodes.TokenMissing, "Not signed in to the portal.");
        }
        context.User = session.Principal;
        var tokens = antiforgery.GetAndStoreTokens(context);
        context.Response.Headers.CacheControl = "no-store";
        return Results.Ok(new SessionResponse(caller.ClientId, session.Principal.FindFirst(OpenIddict.Abstractions.OpenIddictConstants.Claims.Name)?.Value ?? "",
            session.Principal.FindFirst(UserAccess.UserClaim)?.Value ?? "", caller.OrganizationId, caller.OrganizationKind.ToString().ToLowerInvariant(),
            [.. caller.Scopes.Order(StringComparer.Ordinal)], tokens.RequestToken!));
    }

    /// <summary>
    /// Ends this session on the hub, not only in this browser: a copy of the cookie opens nothing afterwards (AUTH-005).
    /// The person's sessions elsewhere go on. The route asks for the anti-forgery token (the form's field or
    /// X-CSRF-TOKEN); the middleware judged it, and a handler without form parameters must act on that itself.
    /// </summary>
    private static async Task<IResult> SignOutAsync(HubDb db, TimeProvider time, HttpContext context)
    {
        if (context.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true })
        {
            return ProblemResults.Problem(context, ErrorCodes.FormTokenInvalid, "Signing out takes the anti-forgery token of the page it was sent from.");
        }
        var signedIn = await context.AuthenticateAsync(UserAccess.Scheme);
        if (signedIn.Principal is { } principal && UserAccess.SessionOf(principal) is { } session && principal.ClientId() is { } userId)
        {
            await db.UserSessions.Where(s => s.Id == session && s.UserId == userId).ExecuteDeleteAsync(context.RequestAborted);
            db.Record(time.GetUtcNow(), userId, "user.sign-out", userId);
            await db.SaveChangesAsync(context.RequestAborted);
        }
        await context.SignOutAsync(UserAccess.Scheme);
        return Results.LocalRedirect("/");
    }

    /// <summary>
    /// An invitation's or a reset's link used: the person chooses a password, the account is active, and a new session
    /// starts. The link works once.
    /// </summary>
    private static async Task<IResult> ChoosePasswordAsync(
        string? token, string? password, string? confirm, bool reset, HubDb db, TimeProvider time, UserOptions options, IAntiforgery antiforgery, HttpContext context)
    {
        var now = time.GetUtcNow();
        var hash = token is null ? null : PasswordHashing.TokenHash(token);
        var user = hash is null ? null : await db.Users.FirstOrDefaultAsync(u => u.InvitationHash == hash && u.Status != UserStatus.Disabled, context.RequestAborted);
        string? problem = user is null || user.InvitationExpiresAt < now.ToUnixTimeMilliseconds()
            ? "This link is not valid any more; ask your organization's administrator for a new one."
            : password is null || password.Length < options.MinPasswordLength
                ? "Choose a password of at least {0} characters."
                : password != confirm ? "The two passwords differ." : null;
        if (problem is not null)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return PasswordPage(context, antiforgery, token, problem, options.MinPasswordLength, reset);
        }
        db.Record(now, user!.Id, user.Status == UserStatus.Invited ? "user.accept-invitation" : "user.choose-password", user.Id);
        user.PasswordHash = PasswordHashing.Hash(password!, options.PasswordIterations);
        (user.Status, user.InvitationHash, user.InvitationExpiresAt, user.SecurityStamp) = (UserStatus.Active, null, null, PasswordHashing.NewStamp());
        (user.FailedSignIns, user.LockedUntil) = (0, null);
        await StartSessionAsync(context, db, user, now, options);
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

    /// <summary>The form of an invitation or a reset link; an error is the English text the portal's resources key it by, shown in the reader's language.</summary>
    private static RazorComponentResult<Invitation> PasswordPage(HttpContext context, IAntiforgery antiforgery, string? token, string? error, int minPasswordLength, bool reset)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        return new RazorComponentResult<Invitation>(new Dictionary<string, object?>
        {
            [nameof(Invitation.Form)] = new PortalForm(tokens.FormFieldName, tokens.RequestToken!),
            [nameof(Invitation.Token)] = token,
            [nameof(Invitation.Error)] = error,
            [nameof(Invitation.MinPasswordLength)] = minPasswordLength,
            [nameof(Invitation.Reset)] = reset,
        });
    }

    /// <summary>
    /// Back where the person was going, if that is on this hub; else the console (the operator, and the people of a
    /// responsible unit, whose work is its alerts) or the developer pages.
    /// </summary>
    private static string LocalOrHome(string? returnUrl, User user) =>
        returnUrl is { Length: > 1 } url && url[0] == '/' && url[1] is not '/' and not '\\'
            ? url
            : user.OrganizationId == Organization.OperatorId || user.Role is UserRole.Lead or UserRole.Officer or UserRole.Responder ? "/console" : "/developer";

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Account {UserId} locked after repeated failed sign-ins")]
    private static partial void Locked(ILogger logger, string userId);
}
