namespace IntegrationHub.Gateway.Events;

/// <summary>
/// An event the hub will deliver to subscribers, written in the same transaction as the change it describes, so that
/// no change goes unannounced and no event announces a change that was rolled back. Delivery reads from here; nothing
/// is held only in memory. The fields are CloudEvents 1.0 attributes plus what filters and visibility judge.
/// </summary>
/// <remarks>
/// The id is the event's CloudEvents id and every subscriber's cursor. On SQLite ids are handed out in commit order
/// (one writer at a time), so a cursor never skips an event that commits later. PostgreSQL will need a commit-ordered
/// sequence of its own (or a visibility horizon) before several nodes lease delivery lanes from this table.
/// </remarks>
internal sealed class OutboxEvent
{
    /// <summary>The event's sequence: its CloudEvents id and the cursor subscribers resume from.</summary>
    public long Id { get; init; }

    public required string Type { get; init; }
    public required string Source { get; init; }
    public required string Subject { get; init; }

    /// <summary>When the event happened on the hub, Unix milliseconds.</summary>
    public required long Time { get; init; }

    /// <summary>The organization whose data the event carries; sandbox events never leave it.</summary>
    public required string OrganizationId { get; init; }

    public required bool Sandbox { get; init; }
    public string? Domain { get; init; }
    public string? District { get; init; }
    public string? Profile { get; init; }

    /// <summary>blue, yellow, orange or red for alert and warning events.</summary>
    public string? Level { get; init; }

    /// <summary>
    /// The responsible units of an alert (space-separated organization ids), when the event was written: each reads the
    /// alert's events too, on every channel (LOOP-001). A unit added later reads the alert's events from then on.
    /// </summary>
    public string? Units { get; init; }

    /// <summary>The device the event is about; events of one device are delivered in order.</summary>
    public long? DeviceKey { get; init; }

    /// <summary>The event data: JSON, in UTF-8, as every channel sends it.</summary>
    public required byte[] Data { get; init; }
}

/// <summary>The CloudEvents types and sources the hub emits (specs/events.json lists them).</summary>
internal static class EventTypes
{
    public const string Prefix = "city.integrationhub.";

    public const string Observation = Prefix + "observation.v1";

    /// <summary>An agency's warning accepted (cap/README.md).</summary>
    public const string Warning = Prefix + "warning.v1";

    public static string Alert(string kind) => $"{Prefix}alert.{kind}.v1";

    /// <summary>The family of a type: <c>observation</c>, <c>alert</c> or <c>warning</c>.</summary>
    public static string Family(string type) => type[Prefix.Length..type.IndexOf('.', Prefix.Length)];

    /// <summary>The CloudEvents source of a family's events: <c>/integrationhub/{hubId}/telemetry</c>, <c>…/alerts</c>, <c>…/warnings</c>.</summary>
    public static string Source(string hubId, string family) => $"/integrationhub/{hubId}/{family}";
}
