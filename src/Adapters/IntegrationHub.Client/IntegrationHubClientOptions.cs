using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Client;

/// <summary>
/// Where the hub is and who the client is. Bind it from configuration (section <c>IntegrationHub</c> by default) or set
/// it in <c>AddIntegrationHubClient(options => …)</c>. Without a client id and secret the client sends no token, which
/// is enough for the public spec.
/// </summary>
public sealed class IntegrationHubClientOptions : IValidatableObject
{
    public const string Section = "IntegrationHub";

    /// <summary>The hub's base address, e.g. <c>https://hub.example.gov.cn</c>.</summary>
    [Required]
    public Uri? BaseAddress { get; set; }

    /// <summary>The adapter's OAuth2 client id.</summary>
    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>Space-separated scopes to request; empty requests every scope the adapter holds.</summary>
    public string? Scope { get; set; }

    /// <summary>Where tokens come from, relative to <see cref="BaseAddress"/>.</summary>
    public string TokenPath { get; set; } = "/connect/token";

    /// <summary>
    /// How long before its expiry a token is replaced. Capped at half the token's lifetime, so short-lived tokens are
    /// still used for a while.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RefreshBeforeExpiry { get; set; } = TimeSpan.FromMinutes(1);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BaseAddress is { IsAbsoluteUri: false })
        {
            yield return new ValidationResult("BaseAddress must be an absolute URI.", [nameof(BaseAddress)]);
        }
        if (string.IsNullOrEmpty(ClientId) != string.IsNullOrEmpty(ClientSecret))
        {
            yield return new ValidationResult("Set both ClientId and ClientSecret, or neither.", [nameof(ClientId), nameof(ClientSecret)]);
        }
    }
}
