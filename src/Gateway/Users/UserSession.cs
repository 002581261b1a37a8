using System.Security.Cryptography;

namespace IntegrationHub.Gateway.Users;

/// <summary>
/// A portal session as the hub knows it (AUTH-005). The cookie names its session; a cookie whose session is gone opens
/// nothing, however valid its signature and lifetime. Signing out deletes the row, so a copy of the cookie kept by
/// someone else dies with it; changing one's password deletes the person's other rows. The row's expiry slides with
/// the cookie's, and expired rows are pruned when someone signs in.
/// </summary>
internal sealed class UserSession
{
    /// <summary>Random, 128 bits. Not a secret on its own: only the hub's data-protection keys make a cookie that names it.</summary>
    public required string Id { get; init; }

    public required string UserId { get; init; }
    public long CreatedAt { get; init; }
    public long ExpiresAt { get; set; }

    public static UserSession Start(string userId, DateTimeOffset now, TimeSpan lifetime) => new()
    {
        Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
        UserId = userId,
        CreatedAt = now.ToUnixTimeMilliseconds(),
        ExpiresAt = (now + lifetime).ToUnixTimeMilliseconds(),
    };
}
