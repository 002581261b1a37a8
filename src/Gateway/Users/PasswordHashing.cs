using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace IntegrationHub.Gateway.Users;

/// <summary>
/// Password hashes: PBKDF2 with HMAC-SHA512, a random 16-byte salt and a configured work factor, stored as
/// <c>pbkdf2-sha512$iterations$salt$hash</c> so the work factor can rise without invalidating stored hashes.
/// Comparison is constant-time. Random tokens (invitations) are stored as SHA-256, since they carry their own entropy.
/// </summary>
internal static class PasswordHashing
{
    private const string Scheme = "pbkdf2-sha512";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    public static string Hash(string password, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA512, HashBytes);
        return string.Join('$', Scheme, iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    public static bool Verify(string password, string? stored)
    {
        var parts = stored?.Split('$');
        if (parts is not [Scheme, var rounds, var salt, var hash] || !int.TryParse(rounds, NumberStyles.None, CultureInfo.InvariantCulture, out var iterations))
        {
            return false;
        }
        var expected = Convert.FromBase64String(hash);
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, Convert.FromBase64String(salt), iterations, HashAlgorithmName.SHA512, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static string? _decoy;

    /// <summary>A hash of nothing anyone knows, checked when there is no account, so that failures take the same time.</summary>
    public static string Decoy(int iterations) => _decoy ??= Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)), iterations);

    /// <summary>A random URL-safe token and the hash to store for it.</summary>
    public static (string Token, string Hash) NewToken()
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (token, TokenHash(token));
    }

    public static string TokenHash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static string NewStamp() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
