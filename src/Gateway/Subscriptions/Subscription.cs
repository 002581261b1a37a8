using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Organizations;

namespace IntegrationHub.Gateway.Subscriptions;

/// <summary>How a subscription's events leave the hub.</summary>
internal enum SubscriptionChannel
{
    /// <summary>POSTed to the subscription's URL, signed.</summary>
    Webhook,

    /// <summary>Read by the subscriber as server-sent events from <c>GET /v1/stream?subscription={id}</c>.</summary>
    Sse,

    /// <summary>Published to <c>hub/v1/subscriptions/{id}</c> on the hub's MQTT broker.</summary>
    Mqtt,
}

/// <summary>CloudEvents content mode: the data as the body with attributes beside it, the whole event as JSON, or several events per request.</summary>
internal enum EventMode
{
    Binary,
    Structured,
    Batched,
}

internal enum SubscriptionStatus
{
    Active,

    /// <summary>Paused by its organization: events wait in the outbox (within retention) until it resumes.</summary>
    Paused,

    /// <summary>The receiver answered 410 Gone: delivery stopped until the organization resumes it.</summary>
    Disabled,
}

/// <summary>
/// An organization's standing request for events: which ones (<see cref="EventFilter"/>) and how they leave the hub.
/// It only ever carries what its organization may read; that is judged at delivery, so a grant that expires stops the
/// flow at once. Delivery progress lives in its <see cref="SubscriptionLane"/>s.
/// </summary>
internal sealed class Subscription
{
    public required string Id { get; init; }
    public required string OrganizationId { get; init; }
    public required string Name { get; set; }
    public SubscriptionChannel Channel { get; init; }
    public required EventFilter Filter { get; init; }
    public SubscriptionStatus Status { get; set; }

    /// <summary>The webhook receiver's URL, checked against SSRF when it was registered and on every connection.</summary>
    public string? Url { get; init; }

    public EventMode Mode { get; init; }

    /// <summary>At most this many events per batched request.</summary>
    public int MaxBatch { get; init; }

    /// <summary>How many lanes deliver side by side; a device's events always travel in the same lane, in order.</summary>
    public int Lanes { get; init; }

    /// <summary>Requests per minute the receiver allowed in the validation handshake (<c>WebHook-Allowed-Rate</c>), or null for no limit.</summary>
    public int? AllowedRate { get; init; }

    /// <summary>The signing secrets, protected at rest (<see cref="WebhookSecrets"/>).</summary>
    public string? Secrets { get; set; }

    /// <summary>
    /// For a subscription that started from each device's latest value: events up to this id are delivered only when
    /// they are the latest observation of their device; 0 otherwise.
    /// </summary>
    public long LatestThrough { get; init; }

    /// <summary>Changes whenever delivery must restart from the stored state (pause, resume, rewind, rotation, redrive).</summary>
    public long Version { get; set; }

    public long CreatedAt { get; init; }
    public required string CreatedBy { get; init; }

    public long Delivered { get; set; }
    public long Failures { get; set; }
    public long? LastSuccessAt { get; set; }
    public long? LastFailureAt { get; set; }
    public string? LastFailure { get; set; }

    public Organization? Organization { get; init; }
}

/// <summary>
/// One lane of a subscription's delivery: its events are those of the devices that hash to it, and it delivers them in
/// outbox order. <see cref="Cursor"/> is the id through which everything of the lane was delivered (or dead-lettered).
/// Lanes are the unit a cluster will lease (<c>FOR UPDATE SKIP LOCKED</c>), so one lane never has two deliverers.
/// </summary>
internal sealed class SubscriptionLane
{
    public required string SubscriptionId { get; init; }
    public int Lane { get; init; }
    public long Cursor { get; set; }

    /// <summary>
    /// Counts the rewinds. A reader saves its progress only while this is what it read with the cursor: a rewind back
    /// to the very cursor a reader started from must still win over that reader's later save.
    /// </summary>
    public long Rewinds { get; set; }

    /// <summary>Failed attempts at the lane's head events so far.</summary>
    public int Attempts { get; set; }

    public long? NextAttemptAt { get; set; }
}

/// <summary>An event a subscription gave up on after its attempts: listed, and redriven on request.</summary>
internal sealed class DeadLetter
{
    public long Id { get; init; }
    public required string SubscriptionId { get; init; }
    public long EventId { get; init; }
    public int Lane { get; init; }
    public long DeadAt { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }

    /// <summary>Asked to be delivered again: its lane sends it before anything else.</summary>
    public bool Redrive { get; set; }

    public OutboxEvent? Event { get; init; }
}
