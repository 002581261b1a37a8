using IntegrationHub.Client.Telemetry;
using Refit;

namespace IntegrationHub.Client.Subscriptions;

/// <summary>
/// The organization's subscriptions (scope <c>subscriptions:manage</c>): events pushed by webhook, MQTT or read as
/// server-sent events (<see cref="IEventStreamReader"/>), with filters, a start position, delivery statistics, dead
/// letters, rewinds and webhook secret rotation. Reads are retried on transient failures; every change is not, since
/// creating a subscription or rotating its secret twice is not the same as once. Pause, resume and rewind set a state,
/// so repeating one by hand after a failure is harmless.
/// </summary>
public interface ISubscriptionsApi
{
    /// <summary>
    /// Creates a subscription. A webhook's receiver must pass the CloudEvents validation handshake (OPTIONS) first;
    /// the answer's <see cref="Subscription.Secret"/> is the signing secret, shown only this once.
    /// </summary>
    [Post("/v1/subscriptions")]
    Task<Subscription> CreateSubscriptionAsync([Body] CreateSubscriptionRequest request, CancellationToken cancellationToken = default);

    [Get("/v1/subscriptions")]
    Task<IReadOnlyList<Subscription>> ListSubscriptionsAsync(CancellationToken cancellationToken = default);

    /// <summary>One subscription with its delivery statistics: last success, last failure, lag.</summary>
    [Get("/v1/subscriptions/{subscriptionId}")]
    Task<Subscription> GetSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>Deletes a subscription; delivery stops at once.</summary>
    [Delete("/v1/subscriptions/{subscriptionId}")]
    Task DeleteSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>Pauses delivery; events wait in the hub's outbox (within its retention).</summary>
    [Post("/v1/subscriptions/{subscriptionId}/pause")]
    Task<Subscription> PauseSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>Resumes a paused or disabled subscription where it stopped.</summary>
    [Post("/v1/subscriptions/{subscriptionId}/resume")]
    Task<Subscription> ResumeSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>Delivers again from a time or an event id (<see cref="RewindRequest"/>), in order, with the events' original ids.</summary>
    [Post("/v1/subscriptions/{subscriptionId}/rewind")]
    Task<Subscription> RewindSubscriptionAsync(string subscriptionId, [Body] RewindRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Issues a new webhook signing secret. The old one keeps signing beside it until
    /// <see cref="SecretRotation.PreviousValidUntil"/>, so receivers can switch without losing a delivery.
    /// </summary>
    [Post("/v1/subscriptions/{subscriptionId}/rotate-secret")]
    Task<SecretRotation> RotateSubscriptionSecretAsync(string subscriptionId, [Body] RotateSecretRequest request, CancellationToken cancellationToken = default);

    /// <summary>Events the subscription gave up on after its attempts, oldest first.</summary>
    [Get("/v1/subscriptions/{subscriptionId}/dead-letters")]
    Task<Page<DeadLetter>> ListDeadLettersAsync(string subscriptionId, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>Delivers dead letters again, before anything new: all of them, or those named in <see cref="RedriveRequest.EventIds"/>.</summary>
    [Post("/v1/subscriptions/{subscriptionId}/dead-letters/redrive")]
    Task<RedriveResult> RedriveDeadLettersAsync(string subscriptionId, [Body] RedriveRequest request, CancellationToken cancellationToken = default);
}
