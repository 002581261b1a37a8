namespace IntegrationHub.Gateway.Events;

/// <summary>
/// An event the hub will deliver to subscribers, written in the same transaction as the change it describes, so that
/// no change goes unannounced and no event announces a change that was rolled back. Delivery workers read from here;
/// nothing is held only in memory. The fields are CloudEvents 1.0 attributes plus what the visibility rules filter on.
/// </summary>
internal sealed class OutboxEvent
{
    /// <summary>The event's sequence: its CloudEvents id and the cursor subscribers resume from.</summary>
    public long Id { get; init; }

    public required string Type { get; init; }
    public required string Source { get; init; }
    public required string Subject { get; init; }
    public required long Time { get; init; }

    /// <summary>The organization whose data the event carries; sandbox events never leave it.</summary>
    public required string OrganizationId { get; init; }

    public required bool Sandbox { get; init; }
    public string? Domain { get; init; }
    public string? District { get; init; }
    public long? DeviceKey { get; init; }

    /// <summary>The event data, JSON.</summary>
    public required string Data { get; init; }
}

/// <summary>The CloudEvents types the hub emits (listed in specs/).</summary>
internal static class EventTypes
{
    public const string Prefix = "city.integrationhub.";

    public static string Alert(string kind) => $"{Prefix}alert.{kind}.v1";
}
