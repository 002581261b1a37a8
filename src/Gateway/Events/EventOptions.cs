namespace IntegrationHub.Gateway.Events;

/// <summary>How long the outbox keeps events and how its readers find new ones. Section <c>Events</c>.</summary>
internal sealed class EventOptions
{
    public const string Section = "Events";

    /// <summary>
    /// How long events stay replayable: subscriptions rewind, and server-sent event streams resume, within this window.
    /// Older events are pruned, except those a subscription holds as dead letters.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How many of the newest events readers share from memory.</summary>
    public int TailSize { get; set; } = 10_000;

    /// <summary>How often readers look for new events when no commit told them (writes from elsewhere).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the outbox is pruned.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromMinutes(10);
}
