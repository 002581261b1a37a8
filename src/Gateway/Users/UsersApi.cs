using System.ComponentModel;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.OpenApi;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Users;

/// <summary>
/// People (AUTH-006): the operator invites organizations' first administrators (and its own operators); an
/// organization's administrators invite and manage its people. An invitation is a link, shown once, with which the
/// person chooses a password; so is a reset, which an administrator makes for a person of the organization (the
/// operator for anyone). Disabling an account, changing its role and resetting its password end its sessions; a
/// person who changes the own password ends the other ones (AUTH-005). Every change is audited.
/// </summary>
internal static partial class UsersApi
{
    public static IEndpointRouteBuilder MapUsers(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/users", ListAsync).WithTags("People").RequireAuthorization(HubPolicies.PeopleReaders).WithName("ListUsers")
            .WithSummary("The organization's people (the operator: any organization's, with `organization`), to manage them or to assign them to alerts.")
            .WithDescription("E-mail addresses and phone numbers are personal data (LOOP-003): they are in the answer only for the person themselves, for those who manage the organization's people (`users:manage`: its admins and unit leads) and for the operator.");
        var group = app.MapGroup("/v1/users").WithTags("People").RequireScope(Scopes.UsersManage);
        group.MapPost("/", InviteAsync).WithName("InviteUser")
            .WithSummary("Invite a person: the answer carries the invitation link, shown only this once.");
        group.MapPost("/{userId}/invitation", ReinviteAsync).WithName("ReissueInvitation").WithSummary("A new invitation link for someone who has not accepted yet; the old link stops working.");
        group.MapPut("/{userId}/role", ChangeRoleAsync).WithName("ChangeUserRole").WithSummary("Change a person's role; their sessions end.");
        group.MapPost("/{userId}/disable", DisableAsync).WithName("DisableUser").WithSummary("Disable an account; its sessions end at once.");
        group.MapPost("/{userId}/enable", EnableAsync).WithName("EnableUser").WithSummary("Enable a disabled account again.");
        group.MapPost("/{userId}/password-reset", ResetPasswordAsync).WithName("ResetUserPassword")
            .WithSummary("Reset a person's password: the old one stops working, every session of the person ends, and the answer carries a link, shown only this once, with which the person chooses a new one.")
            .DocumentsProblem(StatusCodes.Status409Conflict, "The person is the caller (who changes the own password with POST /v1/me/password), has not accepted an invitation yet (reissue it), or is disabled (`user.invalid-transition`).");
        group.MapPut("/{userId}/contact", (string userId, ContactRequest request, HubDb db, TimeProvider time, HttpContext context) => SetContactAsync(userId, request, db, time, context))
            .WithName("SetUserContact").WithSummary("Set a person's contact details for notifications.");
        app.MapPut("/v1/me/contact", (ContactRequest request, HubDb db, TimeProvider time, HttpContext context) => SetContactAsync(null, request, db, time, context))
            .WithTags("People").WithName("SetMyContact").RequireAuthorization(HubPolicies.ActiveClient)
            .WithSummary("A person sets their own contact details for notifications.")
            .DocumentsProblem(StatusCodes.Status404NotFound, "The caller is a client, not a person (`user.not-found`).");
        app.MapGet("/v1/me", Me).WithTags("People").WithName("GetCaller").RequireAuthorization(HubPolicies.ActiveClient)
            .WithSummary("Who is calling: the client or the person, the organization and the scopes the hub grants now.");
        app.MapPost("/v1/me/password", ChangeOwnPasswordAsync).WithTags("People").WithName("ChangeOwnPassword").RequireAuthorization(HubPolicies.ActiveClient)
            .RequireRateLimiting(HubRateLimits.TokenPolicy)
            .WithSummary("A person signed in to the portal changes the own password, giving the current one; the person's other sessions end, this one goes on.")
            .WithDescription("Only with a portal session: its cookie, and the anti-forgery token of the page (`X-CSRF-TOKEN`, from `GET /account/session`). The new password needs `Users:MinPasswordLength` characters (12 by default). Wrong current passwords count towards the lockout as failed sign-ins do.")
            .DocumentsProblem(StatusCodes.Status403Forbidden, "The current password is wrong, or the account is locked for a while after too many attempts (`user.wrong-password`); or the request lacks the session's anti-forgery token (`auth.antiforgery-failed`).")
            .DocumentsProblem(StatusCodes.Status404NotFound, "The caller is a client, not a person signed in to the portal (`user.not-found`): a client rotates its secret instead.");
        return app;
    }

    internal sealed record InviteRequest(string? Email, string? Name, string? Role, string? OrganizationId, [property: Description("A mobile number for notifications (personal data).")] string? Phone = null);

    /// <summary>A person's contact details for notifications; personal data (LOOP-003).</summary>
    internal sealed record ContactRequest(
        [property: Description("A mobile number, digits with an optional leading + (5 to 20); null removes it.")] string? Phone,
        [property: Description("Quiet hours in Beijing time, `HH:mm-HH:mm` (e.g. `22:00-07:00`, across midnight): blue and yellow notifications wait until they end; red and orange never do. Absent or null removes them: the request replaces the details.")] string? QuietHours = null);

    internal sealed record RoleRequest(string? Role);

    /// <summary>A person. <c>email</c> and <c>phone</c> are personal data: absent unless the caller may read them (LOOP-003).</summary>
    internal sealed record UserResponse(
        string Id, string OrganizationId, string? Email, string Name, string Role, string Status, DateTimeOffset CreatedAt, DateTimeOffset? LastSignInAt, string? Phone = null,
        string? QuietHours = null)
    {
        public static UserResponse Of(User u, bool contacts = true) => new(u.Id, u.OrganizationId, contacts ? u.Email : null, u.Name, Wire(u.Role), Wire(u.Status),
            DateTimeOffset.FromUnixTimeMilliseconds(u.CreatedAt), u.LastSignInAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, contacts ? u.Phone : null,
            contacts ? QuietHoursWindow.Format(u.QuietStart, u.QuietEnd) : null);
    }

    /// <summary>
    /// Whether the caller may read a person's e-mail address and phone number (LOOP-003): the person, those who manage
    /// the person's organization's people (its admins and unit leads), and the operator.
    /// </summary>
    public static bool ReadsContacts(Caller caller, User user) =>
        (caller.ClientId == user.Id && caller.OrganizationId == user.OrganizationId)
        || (caller.Scopes.Contains(Scopes.UsersManage) && (caller.IsOperator || caller.OrganizationId == user.OrganizationId));

    /// <summary>
    /// Whether the caller may grant a role, or manage a person who holds it. A person needs every scope the role carries,
    /// so that a unit's lead (users:manage) manages its officers and responders but neither makes nor manages an admin
    /// (LOOP-003). A client's scopes were chosen for it by the organization's admins, who may give an application the
    /// management of their people.
    /// </summary>
    private static bool Outranks(HttpContext context, UserRole role) =>
        context.Caller().IsOperator || !UserAccess.IsUser(context.User) || UserAccess.ScopesOf(role).IsSubsetOf(context.Caller().Scopes);

    /// <summary>
    /// Whether the caller may manage a person who holds a role: as <see cref="Outranks"/>, and a person below the
    /// organization's admins manages only those beneath them, so that a unit's lead never resets, disables or re-roles a
    /// peer lead (LOOP-003). The organization's admins (organization:manage) manage each other, as its owners.
    /// </summary>
    private static bool Manages(HttpContext context, UserRole role)
    {
        var caller = context.Caller();
        var scopes = UserAccess.ScopesOf(role);
        return Outranks(context, role)
            && (caller.IsOperator || !UserAccess.IsUser(context.User) || scopes.IsProperSubsetOf(caller.Scopes) || caller.Scopes.Contains(Scopes.OrganizationManage));
    }

    // A role is granted only by those who may then manage its holder: a lead who could make a peer lead could not manage them.
    private static ProblemHttpResult Outranked(HttpContext context, UserRole role) => ProblemResults.Problem(context, ErrorCodes.InsufficientScope,
        $"The role {Wire(role)} is not below yours: only someone who holds its scopes and more, or the organization's admins, grants it or manages its people.", status: StatusCodes.Status403Forbidden);

    internal sealed record InvitationResponse(UserResponse User, string InvitationUrl, DateTimeOffset ExpiresAt);

    internal sealed record PasswordResetResponse(UserResponse User, string ResetUrl, DateTimeOffset ExpiresAt);

    internal sealed record PasswordChangeRequest(string? CurrentPassword, string? NewPassword);

    internal sealed record CallerResponse(string Id, string Kind, string OrganizationId, string OrganizationKind, string? AreaCode, IReadOnlyList<string> Scopes, string? Name, string? Email);

    private static CallerResponse Me(HttpContext context)
    {
        var caller = context.Caller();
        var person = UserAccess.IsUser(context.User) && context.Request.Headers.Authorization.Count == 0;
        return new CallerResponse(caller.ClientId, person ? "user" : "client", caller.OrganizationId, Wire(caller.OrganizationKind), caller.AreaCode,
            [.. caller.Scopes.Order(StringComparer.Ordinal)],
            person ? context.User.FindFirst(OpenIddict.Abstractions.OpenIddictConstants.Claims.Name)?.Value : null,
            person ? context.User.FindFirst(UserAccess.UserClaim)?.Value : null);
    }

    private static async Task<Results<Ok<UserResponse[]>, ProblemHttpResult>> ListAsync(string? organization, HubDb db, HttpContext context)
    {
        var caller = context.Caller();
        var organizationId = organization ?? caller.OrganizationId;
        if (!caller.IsOperator && organizationId != caller.OrganizationId)
        {
            return ProblemResults.Problem(context, ErrorCodes.OrganizationNotFound, $"No organization '{organizationId}' among those you manage.");
        }
        var users = await db.Users.AsNoTracking().Where(u => u.OrganizationId == organizationId).OrderBy(u => u.Email).ToListAsync(context.RequestAborted);
        return TypedResults.Ok(users.Select(u => UserResponse.Of(u, ReadsContacts(caller, u))).ToArray());
    }

    private static async Task<Results<Created<InvitationResponse>, ProblemHttpResult>> InviteAsync(
        InviteRequest request, HubDb db, TimeProvider time, IOptions<UserOptions> options, HttpContext context)
    {
        var caller = context.Caller();
        var check = new RequestValidator();
        check.Text(request.Email, "/email", Email(), "An email address.");
        check.Text(request.Name, "/name", Patterns.Name(), "A name of 1 to 200 characters, without leading or trailing spaces.");
        check.Text(request.Phone, "/phone", Phone(), PhoneRule, required: false);
        var role = ParseRole(check, request.Role);
        if (check.Failed)
        {
            return check.Problem(context);
        }
        var organizationId = request.OrganizationId ?? caller.OrganizationId;
        if (!caller.IsOperator && organizationId != caller.OrganizationId)
        {
            return ProblemResults.Problem(context, ErrorCodes.OrganizationNotFound, $"No organization '{organizationId}' among those you manage.");
        }
        if (!Manages(context, role!.Value))
        {
            return Outranked(context, role.Value);
        }
        if (!await db.Organizations.AnyAsync(o => o.Id == organizationId, context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.OrganizationNotFound, $"No organization '{organizationId}'.");
        }
        if ((role == UserRole.Operator) != (organizationId == Organization.OperatorId))
        {
            return ProblemResults.Problem(context, ErrorCodes.UserInvalidTransition, "The operator role belongs to the operator organization, and only to it.");
        }
        var email = request.Email!.Trim().ToLowerInvariant();
        if (await db.Users.AnyAsync(u => u.Email == email, context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.UserExists, $"Someone already signs in as '{email}'.");
        }
        var now = time.GetUtcNow();
        var user = new User
        {
            Id = "u-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            OrganizationId = organizationId,
            Email = email,
            Name = request.Name!,
            Phone = request.Phone,
            Role = role!.Value,
            Status = UserStatus.Invited,
            SecurityStamp = PasswordHashing.NewStamp(),
            CreatedAt = now.ToUnixTimeMilliseconds(),
            CreatedBy = caller.ClientId,
        };
        var invitation = Invite(user, now, options.Value, context);
        db.Users.Add(user);
        db.Record(now, caller.ClientId, "user.invite", user.Id, new { user.Email, user.OrganizationId, role = Wire(user.Role) });
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.Created($"/v1/users/{user.Id}", invitation);
    }

    private static Task<Results<Ok<InvitationResponse>, ProblemHttpResult>> ReinviteAsync(
        string userId, HubDb db, TimeProvider time, IOptions<UserOptions> options, HttpContext context) =>
        ChangeAsync(userId, "user.reinvite", db, time, context, user =>
            user.Status != UserStatus.Invited ? "Only someone who has not accepted an invitation gets a new one." : null,
            (user, now) => Invite(user, now, options.Value, context));

    private static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> ChangeRoleAsync(
        string userId, RoleRequest request, HubDb db, TimeProvider time, HttpContext context)
    {
        var check = new RequestValidator();
        var role = ParseRole(check, request.Role);
        if (check.Failed)
        {
            return check.Problem(context);
        }
        if (!Manages(context, role!.Value))
        {
            return Outranked(context, role.Value);
        }
        return await ChangeAsync(userId, "user.role", db, time, context,
            user => (role == UserRole.Operator) != (user.OrganizationId == Organization.OperatorId) ? "The operator role belongs to the operator organization, and only to it."
                : user.Id == context.Caller().ClientId ? "You cannot change your own role." : null,
            (user, _) =>
            {
                (user.Role, user.SecurityStamp) = (role!.Value, PasswordHashing.NewStamp());
                return UserResponse.Of(user);
            });
    }

    private static Task<Results<Ok<UserResponse>, ProblemHttpResult>> DisableAsync(string userId, HubDb db, TimeProvider time, HttpContext context) =>
        ChangeAsync(userId, "user.disable", db, time, context,
            user => user.Id == context.Caller().ClientId ? "You cannot disable your own account." : user.Status == UserStatus.Disabled ? "The account is disabled already." : null,
            (user, _) =>
            {
                (user.Status, user.SecurityStamp) = (UserStatus.Disabled, PasswordHashing.NewStamp());
                return UserResponse.Of(user);
            });

    private static Task<Results<Ok<UserResponse>, ProblemHttpResult>> EnableAsync(string userId, HubDb db, TimeProvider time, HttpContext context) =>
        ChangeAsync(userId, "user.enable", db, time, context,
            user => user.Status != UserStatus.Disabled ? "Only a disabled account can be enabled." : null,
            (user, _) =>
            {
                user.Status = user.PasswordHash is null ? UserStatus.Invited : UserStatus.Active;
                return UserResponse.Of(user);
            });

    private static Task<Results<Ok<PasswordResetResponse>, ProblemHttpResult>> ResetPasswordAsync(
        string userId, HubDb db, TimeProvider time, IOptions<UserOptions> options, HttpContext context) =>
        ChangeAsync(userId, "user.password-reset", db, time, context,
            user => user.Id == context.Caller().ClientId ? "Change your own password with POST /v1/me/password, giving the current one."
                : user.Status != UserStatus.Active ? "Only an active account's password is reset: an invited person gets a new invitation, and a disabled account is enabled first." : null,
            (user, now) =>
            {
                // The old password stops working at once (a reset may answer a stolen one) and the new stamp ends every session.
                (user.PasswordHash, user.SecurityStamp, user.FailedSignIns, user.LockedUntil) = (null, PasswordHashing.NewStamp(), 0, null);
                var (url, expires) = Link(user, now, options.Value, context, AccountEndpoints.PasswordResetPath);
                return new PasswordResetResponse(UserResponse.Of(user), url, expires);
            });

    /// <summary>
    /// The signed-in person's own password (AUTH-005): the current one is checked like a sign-in, failures count towards
    /// the same lockout, and the new one follows the same rule as a first one. The person's other sessions end.
    /// </summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> ChangeOwnPasswordAsync(
        PasswordChangeRequest request, HubDb db, TimeProvider time, IOptions<UserOptions> options, ILogger<User> logger, HttpContext context)
    {
        var caller = context.Caller();
        if (!UserAccess.IsUser(context.User) || context.Request.Headers.Authorization.Count > 0 || UserAccess.SessionOf(context.User) is not { } session)
        {
            return ProblemResults.Problem(context, ErrorCodes.UserNotFound, "Only a person signed in to the portal has a password; a client rotates its secret with POST /v1/adapters/{adapterId}/secret.");
        }
        var check = new RequestValidator();
        if (request.CurrentPassword is null)
        {
            check.Add(ErrorCodes.MissingField, "/currentPassword", "'currentPassword' is required.");
        }
        if (request.NewPassword is null || request.NewPassword.Length < options.Value.MinPasswordLength)
        {
            check.Add(ErrorCodes.InvalidValue, "/newPassword", $"A password of at least {options.Value.MinPasswordLength} characters.");
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }
        var now = time.GetUtcNow();
        var user = await db.Users.FirstAsync(u => u.Id == caller.ClientId, context.RequestAborted);
        if (!AccountEndpoints.CheckPassword(user, request.CurrentPassword!, now, options.Value, db, logger))
        {
            await db.SaveChangesAsync(context.RequestAborted);
            return ProblemResults.Problem(context, ErrorCodes.WrongPassword, "The current password is wrong, or the account is locked for a while after too many attempts.");
        }
        (user.PasswordHash, user.FailedSignIns) = (PasswordHashing.Hash(request.NewPassword!, options.Value.PasswordIterations), 0);
        db.Record(now, user.Id, "user.password-change", user.Id);
        await db.SaveChangesAsync(context.RequestAborted);
        await db.UserSessions.Where(s => s.UserId == user.Id && s.Id != session).ExecuteDeleteAsync(context.RequestAborted);
        return TypedResults.NoContent();
    }

    /// <summary>Finds a person the caller manages, checks the step, applies it, audits it.</summary>
    private static async Task<Results<Ok<T>, ProblemHttpResult>> ChangeAsync<T>(
        string userId, string action, HubDb db, TimeProvider time, HttpContext context, Func<User, string?> refuse, Func<User, DateTimeOffset, T> apply)
    {
        var caller = context.Caller();
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId && (caller.IsOperator || u.OrganizationId == caller.OrganizationId), context.RequestAborted);
        if (user is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.UserNotFound, $"No user '{userId}' in your organization.");
        }
        if (!Manages(context, user.Role))
        {
            return Outranked(context, user.Role);
        }
        if (refuse(user) is { } reason)
        {
            return ProblemResults.Problem(context, ErrorCodes.UserInvalidTransition, reason);
        }
        var now = time.GetUtcNow();
        var result = apply(user, now);
        db.Record(now, caller.ClientId, action, user.Id);
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.Ok(result);
    }

    /// <summary>Contact details: the person's own (<paramref name="userId"/> null), or a person's the caller manages.</summary>
    private static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> SetContactAsync(string? userId, ContactRequest request, HubDb db, TimeProvider time, HttpContext context)
    {
        var check = new RequestValidator();
        check.Text(request.Phone, "/phone", Phone(), PhoneRule, required: false);
        (int Start, int End)? quiet = null;
        if (request.QuietHours is not null)
        {
            quiet = QuietHoursWindow.Parse(request.QuietHours);
            if (quiet is null)
            {
                check.Add(ErrorCodes.InvalidValue, "/quietHours", "Quiet hours in Beijing time as HH:mm-HH:mm, e.g. 22:00-07:00; start and end differ.");
            }
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }
        var caller = context.Caller();
        var id = userId ?? caller.ClientId;
        // One's own details are a person's, in their own organization: a client whose id happens to read like a
        // person's is no one's self.
        var self = userId is null;
        var user = self && !UserAccess.IsUser(context.User)
            ? null
            : await db.Users.FirstOrDefaultAsync(u => u.Id == id && (u.OrganizationId == caller.OrganizationId || (!self && caller.IsOperator)), context.RequestAborted);
        if (user is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.UserNotFound, userId is null ? "Only a person signed in to the portal has contact details." : $"No user '{userId}' in your organization.");
        }
        if (userId is not null && !Manages(context, user.Role))
        {
            return Outranked(context, user.Role);
        }
        user.Phone = request.Phone;
        (user.QuietStart, user.QuietEnd) = (quiet?.Start, quiet?.End);
        // The audit says that the details changed, not what they are: they are personal data.
        db.Record(time.GetUtcNow(), caller.ClientId, "user.contact", user.Id);
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.Ok(UserResponse.Of(user));
    }

    private const string PhoneRule = "A mobile number: digits, with an optional leading +, 5 to 20 of them.";

    [GeneratedRegex(@"^\+?[0-9]{5,20}$")]
    private static partial Regex Phone();

    private static InvitationResponse Invite(User user, DateTimeOffset now, UserOptions options, HttpContext context)
    {
        var (url, expires) = Link(user, now, options, context, AccountEndpoints.InvitationPath);
        return new InvitationResponse(UserResponse.Of(user), url, expires);
    }

    /// <summary>A new link with which the person chooses a password; an earlier one stops working.</summary>
    private static (string Url, DateTimeOffset ExpiresAt) Link(User user, DateTimeOffset now, UserOptions options, HttpContext context, string path)
    {
        var (token, hash) = PasswordHashing.NewToken();
        var expires = now + options.InvitationLifetime;
        (user.InvitationHash, user.InvitationExpiresAt) = (hash, expires.ToUnixTimeMilliseconds());
        return ($"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}{path}?token={token}", expires);
    }

    private static UserRole? ParseRole(RequestValidator check, string? role)
    {
        if (role is null)
        {
            check.Add(ErrorCodes.MissingField, "/role", "'role' is required.");
            return null;
        }
        if (Enum.TryParse<UserRole>(role, ignoreCase: true, out var parsed) && role.All(char.IsLetter))
        {
            return parsed;
        }
        check.Add(ErrorCodes.InvalidValue, "/role", "One of operator, admin, developer, lead, officer, responder.");
        return null;
    }

    private static string Wire<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    [GeneratedRegex(@"^(?=.{3,254}$)[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")]
    private static partial Regex Email();
}
