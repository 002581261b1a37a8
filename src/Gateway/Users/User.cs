namespace IntegrationHub.Gateway.Users;

/// <summary>What a person may do in the portal and through the API with the portal's session.</summary>
internal enum UserRole
{
    /// <summary>The city's monitoring centre: reads and handles everything, administers the hub. Operator organization only.</summary>
    Operator,

    /// <summary>Administers the organization: its adapters, devices, subscriptions and users.</summary>
    Admin,

    /// <summary>Builds the organization's integration: adapters, devices, subscriptions; reads its data and alerts.</summary>
    Developer,

    /// <summary>
    /// A responsible unit's lead (单位负责人): handles the alerts routed to the unit, assigns its people, manages them, and
    /// reads their contact details.
    /// </summary>
    Lead,

    /// <summary>The unit's on-duty officer (值班员): acknowledges, assigns, comments on and resolves the unit's alerts.</summary>
    Officer,

    /// <summary>
    /// A responder (处置人员): reads the unit's alerts and comments on them; acknowledges and resolves the unit's share
    /// of the alerts assigned to them.
    /// </summary>
    Responder,
}

internal enum UserStatus
{
    /// <summary>Invited: signs in only after setting a password through the invitation.</summary>
    Invited,
    Active,
    Disabled,
}

/// <summary>
/// A person with a local account. The password is stored only as a salted PBKDF2 hash; the invitation token only as
/// its SHA-256. The security stamp changes whenever the password, role or status does, which ends every session.
/// </summary>
internal sealed class User
{
    public required string Id { get; init; }
    public required string OrganizationId { get; init; }

    /// <summary>Lower-case; unique across the hub, since it is what a person signs in with.</summary>
    public required string Email { get; init; }

    public required string Name { get; set; }

    /// <summary>A mobile number for notifications. Personal data: only the person, their organization's people managers and the operator read it.</summary>
    public string? Phone { get; set; }

    /// <summary>
    /// Quiet hours (免打扰), minutes after midnight in Beijing time: blue and yellow notifications that fall from
    /// <see cref="QuietStart"/> to <see cref="QuietEnd"/> wait until the window ends (a window may cross midnight); red
    /// and orange are never held back (LOOP-009). Both set or neither.
    /// </summary>
    public int? QuietStart { get; set; }

    public int? QuietEnd { get; set; }

    public UserRole Role { get; set; }
    public UserStatus Status { get; set; }
    public string? PasswordHash { get; set; }
    public required string SecurityStamp { get; set; }
    public string? InvitationHash { get; set; }
    public long? InvitationExpiresAt { get; set; }

    /// <summary>Failed sign-ins in a row; enough of them lock the account for a while.</summary>
    public int FailedSignIns { get; set; }

    public long? LockedUntil { get; set; }
    public long? LastSignInAt { get; set; }
    public long CreatedAt { get; init; }
    public required string CreatedBy { get; init; }
}
