using Microsoft.Extensions.Time.Testing;

namespace IntegrationHub.Testing;

/// <summary>
/// The hub's fake clock. <see cref="FakeTimeProvider.Advance"/> runs every timer it passes on the calling thread, once
/// per period: a job the timer wakes runs there and then, inline, and when it asks for its next tick that tick is still
/// before the new time, so a move of days runs a five-second job a hundred thousand times, each pass a real query.
/// <see cref="Leap"/> moves the clock as a real one does when a machine wakes from sleep: the timers due fire on the
/// thread pool, so a job woken that way runs once or twice, after the leap, at the new time.
/// </summary>
public sealed class HubClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private volatile bool _leaping;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        base.CreateTimer(
            value =>
            {
                if (_leaping)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(callback.Invoke, value, preferLocal: false);
                }
                else
                {
                    callback(value);
                }
            },
            state, dueTime, period);

    /// <summary>
    /// Moves the clock forward by <paramref name="delta"/>, for the tests that jump hours or days and then run the job
    /// they test themselves. What a timer wakes runs off this thread, after or while the clock moves.
    /// </summary>
    public void Leap(TimeSpan delta)
    {
        _leaping = true;
        try
        {
            Advance(delta);
        }
        finally
        {
            _leaping = false;
        }
    }
}
