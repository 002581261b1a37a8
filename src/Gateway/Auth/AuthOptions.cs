using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Gateway.Auth;

/// <summary>The OAuth2 server. Section <c>Auth</c>.</summary>
internal sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>The issuer URI. Set it when the hub is reached under more than one host name; otherwise the request's own base URI is used.</summary>
    public Uri? Issuer { get; set; }

    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A PKCS#12 certificate to sign tokens with. Without one, the hub keeps an RSA key in the data folder.</summary>
    public CertificateOptions? SigningCertificate { get; set; }

    /// <summary>A PKCS#12 certificate to encrypt tokens with. Without one, the hub keeps an RSA key in the data folder.</summary>
    public CertificateOptions? EncryptionCertificate { get; set; }

    /// <summary>Token requests per minute per client address, to slow down secret guessing.</summary>
    [Range(1, 100_000)]
    public int TokenRequestsPerMinute { get; set; } = 120;

    /// <summary>Access tokens remembered as validated (<see cref="AccessTokenCache"/>), at most; past it, new ones are validated every time.</summary>
    [Range(0, 1_000_000)]
    public int ValidatedTokenCacheSize { get; set; } = 10_000;

    /// <summary>How long a validated token is remembered at most; never past its own expiry.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ValidatedTokenCacheLifetime { get; set; } = TimeSpan.FromMinutes(10);
}

internal sealed class CertificateOptions
{
    [Required]
    public string Path { get; set; } = "";

    public string? Password { get; set; }
}

/// <summary>
/// The first admin client. Section <c>Bootstrap</c>, so <c>Bootstrap__ClientId</c> and <c>Bootstrap__ClientSecret</c>
/// set it from the environment. Without them, the hub creates <c>hub-admin</c> on first start and shows its secret once.
/// </summary>
internal sealed class BootstrapOptions
{
    public const string Section = "Bootstrap";

    [RegularExpression(AdapterIds.Pattern)]
    public string? ClientId { get; set; }

    [MinLength(16)]
    public string? ClientSecret { get; set; }

    /// <summary>An operator's portal account (with <see cref="OperatorPassword"/>): created, or its password set, at start.</summary>
    [EmailAddress]
    public string? OperatorEmail { get; set; }

    [MinLength(12)]
    public string? OperatorPassword { get; set; }
}

internal static class AdapterIds
{
    public const string Pattern = "^[a-z0-9][a-z0-9._-]{2,99}$";
}
