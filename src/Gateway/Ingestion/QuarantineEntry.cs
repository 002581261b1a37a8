namespace IntegrationHub.Gateway.Ingestion;

/// <summary>Input the hub rejected, kept with its reasons so the sender can see what to fix.</summary>
internal sealed class QuarantineEntry
{
    public long Id { get; init; }
    public required string OrganizationId { get; init; }
    public required string AdapterId { get; init; }
    public required long ReceivedAt { get; init; }
    public string? MessageId { get; init; }
    public string? DeviceId { get; init; }

    /// <summary>The findings as a JSON array of {code, pointer, detail}.</summary>
    public required string Errors { get; init; }

    /// <summary>What was sent, truncated to <see cref="MaxPayloadChars"/>.</summary>
    public required string Payload { get; init; }

    public required bool PayloadTruncated { get; init; }

    public const int MaxPayloadChars = 16 * 1024;
}
