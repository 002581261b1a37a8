using Refit;

namespace IntegrationHub.Client.Users;

/// <summary>
/// The people of an organization (scope <c>users:manage</c>): invitations, roles, disabling, password resets; and who the caller is
/// (<c>/v1/me</c>, any client). Reads are retried on transient failures; changes are not (an invitation sent twice
/// issues two links, and only the second works).
/// </summary>
public interface IUsersApi
{
    /// <summary>Who is calling: the client or person, its organization, and the scopes the hub grants now.</summary>
    [Get("/v1/me")]
    Task<CallerIdentity> GetMeAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The organization's people (scope <c>users:manage</c> or <c>alerts:read</c>, to assign them to alerts); the operator may
    /// name another <paramref name="organization"/>. E-mail addresses and phone numbers are personal data: null unless the
    /// caller is the person, manages the organization's people, or is the operator.
    /// </summary>
    [Get("/v1/users")]
    Task<IReadOnlyList<User>> ListUsersAsync(string? organization = null, CancellationToken cancellationToken = default);

    /// <summary>Invites a person; the answer's <see cref="Invitation.InvitationUrl"/> is shown only this once.</summary>
    [Post("/v1/users")]
    Task<Invitation> InviteUserAsync([Body] InviteUserRequest request, CancellationToken cancellationToken = default);

    /// <summary>A new invitation link for someone who has not accepted yet; the old link stops working.</summary>
    [Post("/v1/users/{userId}/invitation")]
    Task<Invitation> ReissueInvitationAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Changes a person's role (one of <see cref="UserRoles"/>); their sessions end.</summary>
    [Put("/v1/users/{userId}/role")]
    Task<User> ChangeUserRoleAsync(string userId, [Body] ChangeRoleRequest request, CancellationToken cancellationToken = default);

    /// <summary>Disables an account; its sessions end at once.</summary>
    [Post("/v1/users/{userId}/disable")]
    Task<User> DisableUserAsync(string userId, CancellationToken cancellationToken = default);

    [Post("/v1/users/{userId}/enable")]
    Task<User> EnableUserAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Resets an active person's password: it stops working at once and every session of theirs ends; the answer's
    /// <see cref="PasswordReset.ResetUrl"/>, shown only this once, is the link with which they choose a new one.
    /// </summary>
    [Post("/v1/users/{userId}/password-reset")]
    Task<PasswordReset> ResetUserPasswordAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Sets a person's contact details for notifications (scope <c>users:manage</c>).</summary>
    [Put("/v1/users/{userId}/contact")]
    Task<User> SetUserContactAsync(string userId, [Body] ContactRequest request, CancellationToken cancellationToken = default);
}

/// <summary>A person. <see cref="Role"/> is one of <see cref="UserRoles"/>; <see cref="Status"/> is <c>invited</c>, <c>active</c> or <c>disabled</c>.</summary>
public sealed record User(string Id, string OrganizationId, string? Email, string Name, string Role, string Status, DateTimeOffset CreatedAt, DateTimeOffset? LastSignInAt)
{
    /// <summary>A mobile number for notifications; null unless the caller may read it.</summary>
    public string? Phone { get; init; }

    /// <summary>Quiet hours in Beijing time (<c>22:00-07:00</c>); null unless set and the caller may read the contact details.</summary>
    public string? QuietHours { get; init; }
}

/// <summary>
/// A person's contact details for notifications: a mobile number (digits, optional leading +), or null to remove it;
/// quiet hours in Beijing time (<c>HH:mm-HH:mm</c>), during which blue and yellow notifications wait, or null for none.
/// </summary>
public sealed record ContactRequest(string? Phone, string? QuietHours = null);

/// <summary>An invitation: the person, the link with which they choose a password, and when it stops working.</summary>
public sealed record Invitation(User User, Uri InvitationUrl, DateTimeOffset ExpiresAt);

/// <summary>A password reset: the person, the link with which they choose a new password, and when it stops working.</summary>
public sealed record PasswordReset(User User, Uri ResetUrl, DateTimeOffset ExpiresAt);

/// <summary>A new person; <see cref="OrganizationId"/> is the caller's unless the operator names another.</summary>
public sealed record InviteUserRequest(string Email, string Name, string Role, string? OrganizationId = null, string? Phone = null);

public sealed record ChangeRoleRequest(string Role);

/// <summary>
/// The caller: <see cref="Kind"/> is <c>client</c> (an adapter or application) or <c>user</c> (a person signed in to
/// the portal); <see cref="OrganizationKind"/> is <c>operator</c>, <c>district</c>, <c>department</c> or <c>enterprise</c>.
/// </summary>
public sealed record CallerIdentity(string Id, string Kind, string OrganizationId, string OrganizationKind, string? AreaCode, IReadOnlyList<string> Scopes, string? Name = null, string? Email = null);

/// <summary>The roles of people: the operator's (operator organization only), an organization's administrators and developers, and a responsible unit's leads, officers and responders.</summary>
public static class UserRoles
{
    public const string Operator = "operator";

    /// <summary>Administers the organization: its adapters, devices, subscriptions and people.</summary>
    public const string Admin = "admin";

    /// <summary>Builds the organization's integration: adapters, devices, subscriptions; reads its data and alerts.</summary>
    public const string Developer = "developer";

    /// <summary>A responsible unit's lead: handles the unit's alerts, assigns and manages its people.</summary>
    public const string Lead = "lead";

    /// <summary>A unit's on-duty officer: acknowledges, assigns, comments on and resolves the unit's alerts.</summary>
    public const string Officer = "officer";

    /// <summary>A responder: reads and comments on the unit's alerts, and takes the steps of the shares assigned to them.</summary>
    public const string Responder = "responder";
}
