using IntegrationHub.Gateway.Events;

namespace IntegrationHub.Gateway.Subscriptions;

/// <summary>What became of one delivery attempt.</summary>
internal readonly record struct DeliveryResult(bool Delivered, string? Error = null, TimeSpan? RetryAfter = null, bool Gone = false)
{
    public static readonly DeliveryResult Success = new(true);

    public static DeliveryResult Failed(string error, TimeSpan? retryAfter = null) => new(false, error, retryAfter);
}

/// <summary>
/// A way events leave the hub for a subscription (STYLE: named strategies): the delivery lanes hand it a subscription's
/// next events, in order, and act on the result: advance, retry with backoff, or dead-letter.
/// </summary>
internal interface IDeliveryChannel
{
    SubscriptionChannel Channel { get; }

    /// <summary>How many events one attempt may carry for this subscription.</summary>
    int BatchSize(Subscription subscription);

    Task<DeliveryResult> DeliverAsync(Subscription subscription, IReadOnlyList<OutboxEvent> events, CancellationToken cancellationToken);
}
