using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Client.Telemetry;

/// <summary>
/// How the telemetry sender batches (section <c>IntegrationHub:Sender</c>). A batch goes out when it holds
/// <see cref="MaxBatchMessages"/> messages or <see cref="MaxBatchBytes"/> bytes, or when its first message has waited
/// <see cref="MaxDelay"/>, whichever comes first. Keep the bounds within the hub's (1000 messages, 1 MiB by default).
/// </summary>
public sealed class TelemetrySenderOptions
{
    public const string Section = "IntegrationHub:Sender";

    [Range(1, 100_000)]
    public int MaxBatchMessages { get; set; } = 500;

    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBatchBytes { get; set; } = 512 * 1024;

    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Messages waiting to be sent; callers wait for room beyond this.</summary>
    [Range(1, 10_000_000)]
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Prefix of the ids the sender assigns to messages that have none.</summary>
    [RegularExpression("^[A-Za-z0-9][A-Za-z0-9._:-]{0,40}$")]
    public string MessageIdPrefix { get; set; } = "sdk-";
}
