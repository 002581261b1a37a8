using System.Collections.Frozen;
using System.Security.Claims;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Users;

/// <summary>
/// Decides whether a portal session may still act, as <see cref="ClientAccess"/> does for tokens: the user exists, is
/// active, its security stamp is the one the session was issued with, and the session itself has not ended on the hub
/// (<see cref="UserSession"/>). A person acts through the same <see cref="Caller"/> as a client, with the scopes its
/// role grants, so every API rule applies to people unchanged.
/// </summary>
internal sealed class UserAccess(HubDb db, TimeProvider time)
{
    public const string Scheme = "portal";
    public const string UserClaim = "ihub_user";

    /// <summary>The <see cref="UserSession"/> the cookie belongs to.</summary>
    public const string SessionClaim = "ihub_session";

    private static readonly FrozenDictionary<UserRole, FrozenSet<string>> RoleScopes = new Dictionary<UserRole, FrozenSet<string>>
    {
        [UserRole.Operator] = new[] { Scopes.Admin, Scopes.TelemetryRead, Scopes.AlertsRead, Scopes.AlertsManage, Scopes.DevicesCommand, Scopes.SubscriptionsManage, Scopes.OrganizationManage, Scopes.UsersManage }.ToFrozenSet(),
        [UserRole.Admin] = new[] { Scopes.TelemetryRead, Scopes.AlertsRead, Scopes.AlertsManage, Scopes.DevicesCommand, Scopes.SubscriptionsManage, Scopes.OrganizationManage, Scopes.UsersManage }.ToFrozenSet(),
        [UserRole.Developer] = new[] { Scopes.TelemetryRead, Scopes.AlertsRead, Scopes.SubscriptionsManage, Scopes.OrganizationManage }.ToFrozenSet(),
        // The closed loop's roles (LOOP-003): a unit's lead manages its people; officers handle its alerts; responders act
        // on what is assigned to them, which the alert endpoints check by person rather than by scope.
        [UserRole.Lead] = new[] { Scopes.TelemetryRead, Scopes.AlertsRead, Scopes.AlertsManage, Scopes.UsersManage }.ToFrozenSet(),
        [UserRole.Officer] = new[] { Scopes.TelemetryRead, Scopes.AlertsRead, Scopes.AlertsManage }.ToFrozenSet(),
        [UserRole.Responder] = new[] { Scopes.TelemetryRead, Scopes.AlertsRead }.ToFrozenSet(),
    }.ToFrozenDictionary();

    public static IReadOnlySet<string> ScopesOf(UserRole role) => RoleScopes[role];

    public static bool IsUser(ClaimsPrincipal principal) => principal.HasClaim(c => c.Type == UserClaim);

    /// <summary>The session's principal: who, the stamp that must still match, and the session on the hub.</summary>
    /// <summary>The portal session's cookie.</summary>
    public const string CookieName = "ihub.session";

    public static ClaimsPrincipal Principal(User user, UserSession session) =>
        new(new ClaimsIdentity(
        [
            new Claim(OpenIddict.Abstractions.OpenIddictConstants.Claims.Subject, user.Id),
            new Claim(OpenIddict.Abstractions.OpenIddictConstants.Claims.Name, user.Name),
            new Claim(HubClaims.Organization, user.OrganizationId),
            new Claim(HubClaims.Stamp, user.SecurityStamp),
            new Claim(UserClaim, user.Email),
            new Claim(SessionClaim, session.Id),
        ], Scheme));

    public static string? SessionOf(ClaimsPrincipal principal) => principal.FindFirstValue(SessionClaim);

    public async Task<AccessDecision> DecideAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        var id = principal.ClientId();
        var stamp = principal.FindFirstValue(HubClaims.Stamp);
        var session = SessionOf(principal);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var row = await db.Users.AsNoTracking()
            .Where(u => u.Id == id)
            .Join(db.Organizations, u => u.OrganizationId, o => o.Id, (u, o) => new
            {
                User = u,
                o.Kind,
                o.AreaCode,
                Live = db.UserSessions.Any(s => s.Id == session && s.UserId == u.Id && s.ExpiresAt > now),
            })
            .FirstOrDefaultAsync(cancellationToken);
        if (row is null || !row.Live || row.User.Status != UserStatus.Active || row.User.SecurityStamp != stamp)
        {
            return new AccessDecision(null, ErrorCodes.TokenInvalid, "The session ended: you signed out, or the account was changed or disabled since you signed in. Sign in again.");
        }
        return new AccessDecision(CallerOf(row.User, row.Kind, row.AreaCode), null, null);
    }

    /// <summary>A person as a caller: their organization, and the scopes of their role.</summary>
    public static Caller CallerOf(User user, OrganizationKind kind, string? areaCode) =>
        new(user.Id, user.OrganizationId, kind, areaCode, AdapterStatus.Production, null, ScopesOf(user.Role));
}
