namespace IntegrationHub.Client.Subscriptions;

/// <summary>
/// A subscription. <see cref="Channel"/> is one of <see cref="SubscriptionChannels"/>, <see cref="Status"/> one of
/// <see cref="SubscriptionStatuses"/>, <see cref="Mode"/> one of <see cref="EventModes"/>. An MQTT subscription names
/// its <see cref="Topic"/>, a server-sent events one its <see cref="Stream"/> path; <see cref="Secret"/> is present only
/// in the answer that created a webhook subscription.
/// </summary>
public sealed record Subscription(
    string Id, string OrganizationId, string Name, string Channel, string Status, SubscriptionFilter Filter, Uri? Url, string Mode, int? MaxBatch, int? Lanes,
    int? AllowedRate, string? Topic, string? Stream, DateTimeOffset CreatedAt, string CreatedBy, DeliveryStatistics Delivery, string? Secret = null);

/// <summary>
/// Which events a subscription (or a stream) carries; every list is optional and they combine with AND. Types are
/// event types (<see cref="Events.HubEventTypes"/>) or families (<c>observation</c>, <c>alert</c>, <c>warning</c>); devices are
/// <c>{organizationId}/{deviceId}</c>, and only devices the organization may read.
/// </summary>
public sealed record SubscriptionFilter
{
    public IReadOnlyList<string>? Types { get; init; }

    /// <summary>Monitoring domains, e.g. <c>gas</c>, <c>water</c>, <c>weather</c>.</summary>
    public IReadOnlyList<string>? Domains { get; init; }

    public IReadOnlyList<string>? Profiles { get; init; }

    /// <summary>GB/T 2260 district codes.</summary>
    public IReadOnlyList<string>? Districts { get; init; }

    /// <summary>Alert and warning levels (<c>blue</c> … <c>red</c>).</summary>
    public IReadOnlyList<string>? Levels { get; init; }

    public IReadOnlyList<string>? Devices { get; init; }
}

/// <summary>
/// A new subscription. <see cref="Start"/> is one of <see cref="SubscriptionStarts"/>: <c>now</c> (the default),
/// <c>latest</c> (each device's latest observation first) or <c>time</c> with <see cref="From"/>.
/// </summary>
public sealed record CreateSubscriptionRequest(string Name, string Channel)
{
    /// <summary>The receiver of a webhook subscription: https and public, unless the operator allow-listed it.</summary>
    public Uri? Url { get; init; }

    public SubscriptionFilter? Filter { get; init; }

    /// <summary>Webhooks only: <c>binary</c> (the default), <c>structured</c> or <c>batched</c>.</summary>
    public string? Mode { get; init; }

    /// <summary>Batched webhooks: events per request, at most.</summary>
    public int? MaxBatch { get; init; }

    /// <summary>Webhook and MQTT: parallel lanes; a device's events always share one, so each device stays in order.</summary>
    public int? Lanes { get; init; }

    public string? Start { get; init; }

    public DateTimeOffset? From { get; init; }

    public static CreateSubscriptionRequest Webhook(string name, Uri url, SubscriptionFilter? filter = null, string? mode = null) =>
        new(name, SubscriptionChannels.Webhook) { Url = url, Filter = filter, Mode = mode };

    public static CreateSubscriptionRequest Mqtt(string name, SubscriptionFilter? filter = null) => new(name, SubscriptionChannels.Mqtt) { Filter = filter };

    public static CreateSubscriptionRequest Sse(string name, SubscriptionFilter? filter = null) => new(name, SubscriptionChannels.Sse) { Filter = filter };
}

/// <summary>How delivery goes: counts, the last success and failure, the slowest lane's position (<see cref="Cursor"/>), how far behind, and when the next retry is due.</summary>
public sealed record DeliveryStatistics(
    long Delivered, long Failures, int DeadLetters, DateTimeOffset? LastSuccessAt, DateTimeOffset? LastFailureAt, string? LastFailure, string Cursor, double LagSeconds,
    DateTimeOffset? NextAttemptAt);

/// <summary>Where to deliver again from: a time, or an event id (<see cref="Cursor"/>), never both.</summary>
public sealed record RewindRequest(DateTimeOffset? From = null, string? Cursor = null);

/// <summary>How long the old secret keeps signing beside the new one (0 to 604800 seconds); null takes the hub's default.</summary>
public sealed record RotateSecretRequest(int? OverlapSeconds = null);

/// <summary>The new signing secret, and until when the previous one still signs.</summary>
public sealed record SecretRotation(string Secret, DateTimeOffset PreviousValidUntil);

/// <summary>An event the subscription gave up on, why, and whether it is being redriven.</summary>
public sealed record DeadLetter(string EventId, string Type, string Subject, DateTimeOffset Time, DateTimeOffset DeadAt, int Attempts, string? LastError, bool Redriving);

/// <summary>Which dead letters to deliver again; null or empty means all of them.</summary>
public sealed record RedriveRequest(IReadOnlyList<string>? EventIds = null);

public sealed record RedriveResult(int Redriving);

public static class SubscriptionChannels
{
    public const string Webhook = "webhook";
    public const string Sse = "sse";
    public const string Mqtt = "mqtt";
}

public static class SubscriptionStatuses
{
    public const string Active = "active";
    public const string Paused = "paused";

    /// <summary>The receiver answered 410 Gone; resume to deliver again.</summary>
    public const string Disabled = "disabled";
}

/// <summary>How a webhook carries CloudEvents: binary (attributes as <c>ce-</c> headers), structured, or batched.</summary>
public static class EventModes
{
    public const string Binary = "binary";
    public const string Structured = "structured";
    public const string Batched = "batched";
}

public static class SubscriptionStarts
{
    public const string Now = "now";
    public const string Latest = "latest";
    public const string Time = "time";
}
