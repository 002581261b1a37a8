using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Gateway.Users;

/// <summary>People and sign-in. Section <c>Users</c>.</summary>
internal sealed class UserOptions
{
    public const string Section = "Users";

    /// <summary>PBKDF2-SHA512 iterations per password hash (OWASP recommends at least 210,000).</summary>
    [Range(10_000, 10_000_000)]
    public int PasswordIterations { get; set; } = 210_000;

    [Range(10, 256)]
    public int MinPasswordLength { get; set; } = 12;

    /// <summary>How long a portal session lasts without use.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>How long an invitation link works.</summary>
    public TimeSpan InvitationLifetime { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Failed sign-ins in a row that lock an account, and for how long.</summary>
    [Range(1, 100)]
    public int MaxFailedSignIns { get; set; } = 5;

    public TimeSpan Lockout { get; set; } = TimeSpan.FromMinutes(15);
}
