using System.Threading.Channels;
using IntegrationHub.Gateway.Ingestion;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Alerts;

/// <summary>
/// Hands committed telemetry to the alert engine: ingest's commits leave their messages here, in memory, and the
/// engine's next pass evaluates them from here instead of reading back what ingest just wrote. Nothing here is the
/// truth: the engine's durable cursor is. A hand-over the inbox cannot take (past <see cref="AlertOptions.InboxCapacity"/>),
/// one lost with a failed pass, or rows committed before the hub started, the engine reads from the database.
/// </summary>
internal sealed class AlertInbox(IOptions<AlertOptions> options) : ICommitObserver
{
    private readonly Lock _lock = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private List<CommittedMessage> _waiting = [];
    private bool _missed;

    /// <summary>Called after each commit, from the committing loop: takes the messages or drops them, never waits.</summary>
    public void Committed(IReadOnlyList<CommittedMessage> messages)
    {
        if (messages.Count == 0)
        {
            return;
        }
        lock (_lock)
        {
            if (_waiting.Count + messages.Count > options.Value.InboxCapacity)
            {
                _missed = true;
            }
            else
            {
                _waiting.AddRange(messages);
            }
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>
    /// Everything handed over since the last call, in commit order, and whether a hand-over was dropped meanwhile (then
    /// the database holds messages the inbox does not).
    /// </summary>
    public (List<CommittedMessage> Messages, bool Missed) Take()
    {
        List<CommittedMessage> taken;
        bool missed;
        lock (_lock)
        {
            (taken, _waiting) = (_waiting, []);
            (missed, _missed) = (_missed, false);
        }
        // Commits that finished together may have handed over in another order than they committed.
        for (var i = 1; i < taken.Count; i++)
        {
            if (taken[i].Row < taken[i - 1].Row)
            {
                taken.Sort(static (a, b) => a.Row.CompareTo(b.Row));
                break;
            }
        }
        return (taken, missed);
    }

    /// <summary>Completes when something was handed over since the last <see cref="Consume"/>.</summary>
    public ValueTask<bool> WaitAsync(CancellationToken cancellationToken) => _wake.Reader.WaitToReadAsync(cancellationToken);

    public void Consume() => _wake.Reader.TryRead(out _);
}
