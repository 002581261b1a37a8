namespace IntegrationHub.Gateway.Hosting;

/// <summary>
/// A wake-up call for any number of waiters: each <see cref="Fire"/> completes the task every current waiter holds.
/// It carries no data, so a waiter that wakes looks for itself what changed, and a pulse it missed costs it at most
/// one polling interval.
/// </summary>
internal class Pulse
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next <see cref="Fire"/>.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    public void Fire() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>
    /// Waits until <paramref name="next"/> (a <see cref="Next"/> taken before looking for work, so a pulse in between
    /// is not missed) completes, or until <paramref name="timeout"/> passes on <paramref name="time"/>.
    /// </summary>
    public static async Task WaitAsync(Task next, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await Task.WhenAny(next, Task.Delay(timeout, time, timer.Token));
        await timer.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }
}
