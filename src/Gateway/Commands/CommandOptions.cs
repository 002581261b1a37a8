using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Gateway.Commands;

/// <summary>How commands travel and how long they live. Section <c>Commands</c>.</summary>
internal sealed class CommandOptions : IValidatableObject
{
    public const string Section = "Commands";

    /// <summary>A command sent without <c>expiresAt</c> expires this long after it was issued.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00")]
    public TimeSpan DefaultLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The latest <c>expiresAt</c> a command may carry, from the time it is issued.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "7.00:00:00")]
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The wait before a command that no answer has taken is delivered again; it doubles up to <see cref="MaxRedeliveryInterval"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RedeliveryInterval { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan MaxRedeliveryInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often each node looks for commands due (another node's new commands, redeliveries, expiries); its own new commands go at once.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an adapter's command webhook has to answer a delivery.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DefaultLifetime > MaxLifetime)
        {
            yield return new ValidationResult("Commands:DefaultLifetime must not exceed Commands:MaxLifetime.", [nameof(DefaultLifetime)]);
        }
        if (RedeliveryInterval > MaxRedeliveryInterval)
        {
            yield return new ValidationResult("Commands:RedeliveryInterval must not exceed Commands:MaxRedeliveryInterval.", [nameof(RedeliveryInterval)]);
        }
    }
}
