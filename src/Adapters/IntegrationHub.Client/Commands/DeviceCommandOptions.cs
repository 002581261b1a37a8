using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Client.Commands;

/// <summary>How the SDK takes its devices' commands (section <c>IntegrationHub:Commands</c>).</summary>
public sealed class DeviceCommandOptions
{
    public const string Section = "IntegrationHub:Commands";

    /// <summary>The command webhook's <c>whsec_…</c> secret the hub answered when it was set (a new one and the old one while they change).</summary>
    public List<string> WebhookSecrets { get; set; } = [];

    /// <summary>How far a webhook delivery's timestamp may be from this machine's clock, either way (replays of old deliveries are refused).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan WebhookTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a command id is remembered after the command expired, to recognise it if it comes again. The hub
    /// never delivers an expired command, so a few minutes cover clocks that differ.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan RememberFor { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Tries at sending an answer to the hub before giving up (an answer sent twice is harmless).</summary>
    [Range(1, 20)]
    public int AnswerAttempts { get; set; } = 3;
}
