using System.Text.Json;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Ingestion;

/// <summary>
/// One batch handed to the <see cref="IngestWriter"/>: an HTTP request's messages, an MQTT publish's, or a body refused
/// whole for the quarantine. It completes once the commit holding it is durable.
/// </summary>
internal sealed class IngestWrite
{
    private readonly TaskCompletionSource<StoredMessage[]> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private IngestWrite(Sender sender, string transport, DateTimeOffset receivedAt, IReadOnlyList<JsonElement> messages, PendingMessage[] batch, Finding? bodyFinding, KeptPayload body)
    {
        Sender = sender;
        Transport = transport;
        ReceivedAt = receivedAt;
        Messages = messages;
        Batch = batch;
        BodyFinding = bodyFinding;
        Body = body;
        Stored = new StoredMessage[bodyFinding is null ? batch.Length : 1];
    }

    /// <summary>Judged messages; <paramref name="messages"/> stay readable until this completes.</summary>
    public static IngestWrite Judged(Sender sender, string transport, DateTimeOffset receivedAt, IReadOnlyList<JsonElement> messages, PendingMessage[] batch) =>
        new(sender, transport, receivedAt, messages, batch, null, default);

    /// <summary>A body refused whole, for the quarantine.</summary>
    public static IngestWrite RefusedBody(Sender sender, string transport, DateTimeOffset receivedAt, Finding finding, KeptPayload body) =>
        new(sender, transport, receivedAt, [], [], finding, body);

    public Sender Sender { get; }
    public string Transport { get; }
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>What was sent, one element per message of <see cref="Batch"/>.</summary>
    public IReadOnlyList<JsonElement> Messages { get; }

    /// <summary>The verdicts; the writer replaces that of a message it failed to store with a rejection (not stored).</summary>
    public PendingMessage[] Batch { get; }

    public Finding? BodyFinding { get; }
    public KeptPayload Body { get; }

    /// <summary>What the store made of each message, in order; read once <see cref="Done"/> completes.</summary>
    public StoredMessage[] Stored { get; }

    /// <summary>The messages this write holds in the writer's queue.</summary>
    public int Count => Stored.Length;

    public Task<StoredMessage[]> Done => _done.Task;

    internal bool Failed => _done.Task.IsFaulted;

    internal void Complete() => _done.TrySetResult(Stored);

    internal void Fail(Exception exception) => _done.TrySetException(exception);
}

/// <summary>
/// The one writer of telemetry (group commit). HTTP requests and MQTT publishes judge their messages on their own
/// threads and queue them here; this loop takes everything queued, from every request and connection, writes it in one
/// transaction through the <see cref="IIngestStore"/>, and completes each write once that transaction is durable. So the
/// hub pays one commit (one fsync) per group instead of one per request, and writers never queue on the database's
/// lock. Each write is judged alone (DESIGN §7.3): a message the store refuses is undone to its savepoint and
/// quarantined as not stored, and costs no other message, in its batch or its group, its answer. Then every
/// <see cref="ICommitObserver"/> hears what was accepted, in commit order.
/// <para>
/// The queue is bounded in messages (<see cref="IngestionOptions.MaxQueuedMessages"/>): beyond it HTTP answers 503 and
/// MQTT stops reading publishes until there is room, so the wait for an acknowledgement stays bounded under overload.
/// </para>
/// </summary>
internal sealed partial class IngestWriter(
    IIngestStore store,
    IEnumerable<ICommitObserver> observers,
    IOptions<IngestionOptions> options,
    IOptions<FaultOptions> faults,
    IngestMetrics metrics,
    TimeProvider time,
    ILogger<IngestWriter> logger) : IHostedService, IDisposable
{
    private const string WriteSavepoint = "write";
    private const string MessageSavepoint = "message";

    private readonly ICommitObserver[] _observers = [.. observers];
    private readonly Lock _gate = new();
    private readonly Queue<IngestWrite> _queue = new();
    // Set when a write is queued; no spinning before it blocks: on two cores a spinning writer takes the CPU from the senders.
    private readonly ManualResetEventSlim _work = new(false, spinCount: 0);
    private readonly Pulse _room = new();
    private readonly CancellationTokenSource _stopping = new();
    private Thread? _thread;
    private bool _stopped;

    // Messages admitted and not yet durable (queued, or in the group being written), and of those the group's.
    private int _pending;
    private int _writing;

    /// <summary>Messages admitted and not yet durable.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Messages in the group being written now.</summary>
    public int Writing => Volatile.Read(ref _writing);

    /// <summary>Whether the queue has room for more messages now.</summary>
    public bool HasRoom => Pending < options.Value.MaxQueuedMessages;

    /// <summary>
    /// Holds room for <paramref name="messages"/> messages, if the queue has it (an empty queue always has: one batch
    /// larger than the bound still goes); false when it is full or the hub is stopping.
    /// </summary>
    public bool TryReserve(int messages)
    {
        lock (_gate)
        {
            if (_stopped || (_pending > 0 && _pending + messages > options.Value.MaxQueuedMessages))
            {
                return false;
            }
            _pending += messages;
            return true;
        }
    }

    /// <summary>Holds room for <paramref name="messages"/> messages whatever the queue holds: for a sender already made to wait for room.</summary>
    public void Reserve(int messages)
    {
        lock (_gate)
        {
            _pending += messages;
        }
    }

    /// <summary>Gives back room held for messages that will not be submitted.</summary>
    public void Unreserve(int messages)
    {
        lock (_gate)
        {
            _pending -= messages;
        }
        _room.Fire();
    }

    /// <summary>Completes once the queue has room (MQTT's back-pressure: the connection reads no further publish meanwhile).</summary>
    public async Task WaitForRoomAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var freed = _room.Next;
            if (HasRoom)
            {
                return;
            }
            await freed.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Queues a write whose room is held; it is written in the order submitted.</summary>
    public void Submit(IngestWrite write)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                throw new InvalidOperationException("The hub is stopping; it takes no more telemetry.");
            }
            _queue.Enqueue(write);
        }
        _work.Set();
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        metrics.ObserveQueue(() => Pending - Writing, () => Writing, options.Value.MaxQueuedMessages);
        // Its own thread: the store's calls block (the commit waits for the disk), and the thread pool's threads are few.
        _thread = new Thread(Run) { IsBackground = true, Name = "Ingest writer" };
        _thread.Start();
        return Task.CompletedTask;
    }

    /// <summary>Stops taking writes and finishes those queued; should the host not wait that long, abandons them unacknowledged.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _stopped = true;
        }
        _work.Set();
        if (_thread is not null)
        {
            using var abandon = cancellationToken.Register(_stopping.Cancel);
            await Task.Run(_thread.Join, CancellationToken.None);
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _work.Dispose();
    }

    private void Run()
    {
        IIngestSession? session = null;
        var group = new List<IngestWrite>();
        try
        {
            while (Take(group))
            {
                session = WriteGroup(session, group);
                group.Clear();
            }
        }
        catch (OperationCanceledException)
        {
            // The host would not wait longer: what was not committed is not acknowledged, and its senders are told so.
            lock (_gate)
            {
                group.AddRange(_queue);
                _queue.Clear();
            }
            foreach (var write in group)
            {
                write.Fail(new OperationCanceledException("The hub stopped before the write was committed."));
            }
        }
        finally
        {
            session?.Dispose();
        }
    }

    /// <summary>Waits for work and takes the writes queued, up to a group's worth; false once stopped with nothing left.</summary>
    private bool Take(List<IngestWrite> group)
    {
        while (true)
        {
            // Reset before looking: a write queued after the look sets it again, so it is never slept through.
            _work.Reset();
            lock (_gate)
            {
                var messages = 0;
                var max = options.Value.MaxGroupMessages;
                while (_queue.TryPeek(out var next) && (group.Count == 0 || messages + next.Count <= max))
                {
                    group.Add(_queue.Dequeue());
                    messages += next.Count;
                }
                if (group.Count > 0)
                {
                    _writing = messages;
                    return true;
                }
                if (_stopped)
                {
                    return false;
                }
            }
            _work.Wait(_stopping.Token);
        }
    }

    /// <summary>Writes a group in one transaction and completes its writes; returns the session to use next (null after a failure).</summary>
    private IIngestSession? WriteGroup(IIngestSession? session, List<IngestWrite> group)
    {
        var started = time.GetTimestamp();
        var messages = 0;
        foreach (var write in group)
        {
            messages += write.Count;
        }
        try
        {
            session ??= store.Open();
            session.Begin();
            foreach (var write in group)
            {
                WriteAlone(session, write);
            }
            if (faults.Value.HoldIngestCommit)
            {
                HoldingCommit(logger);
                _stopping.Token.WaitHandle.WaitOne();
                _stopping.Token.ThrowIfCancellationRequested();
            }
            session.Commit();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The store itself failed (its lock, its commit, its disk): nothing of the group is durable, and no write is acknowledged.
            GroupFailed(logger, group.Count, messages, exception);
            Abandon(session);
            foreach (var write in group)
            {
                write.Fail(exception);
            }
            Free(messages);
            return null;
        }

        metrics.Committed(group, messages, time.GetElapsedTime(started));
        if (_observers.Length > 0)
        {
            Announce(group);
        }
        foreach (var write in group)
        {
            write.Complete();
        }
        Free(messages);
        return session;
    }

    /// <summary>
    /// Writes one batch under a savepoint of its own. Should the store refuse it, one message may be the cause: each is
    /// then written alone, and one whose own write fails is quarantined as not stored. Should that fail too, the store
    /// is failing for this write: nothing of it stays, and it alone fails; the rest of the group goes on.
    /// </summary>
    private void WriteAlone(IIngestSession session, IngestWrite write)
    {
        session.Savepoint(WriteSavepoint);
        try
        {
            if (write.BodyFinding is { } finding)
            {
                write.Stored[0] = StoredMessage.Rejected(session.QuarantineBody(write.Sender, finding, write.Body, write.ReceivedAt));
            }
            else
            {
                session.Write(write.Sender, write.Batch, write.ReceivedAt, write.Stored);
            }
            session.Release(WriteSavepoint);
            return;
        }
        catch (Exception exception) when (exception is not OperationCanceledException && write.BodyFinding is null)
        {
            BatchWriteFailed(logger, write.Batch.Length, exception);
            session.RollbackTo(WriteSavepoint);
        }

        session.Savepoint(WriteSavepoint);
        try
        {
            for (var i = 0; i < write.Batch.Length; i++)
            {
                WriteMessageAlone(session, write, i);
            }
            session.Release(WriteSavepoint);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            MessagesFailed(logger, write.Batch.Length, exception);
            session.RollbackTo(WriteSavepoint);
            write.Fail(exception);
        }
    }

    private void WriteMessageAlone(IIngestSession session, IngestWrite write, int index)
    {
        var stored = write.Stored.AsSpan(index, 1);
        session.Savepoint(MessageSavepoint);
        try
        {
            session.Write(write.Sender, [write.Batch[index]], write.ReceivedAt, stored);
            session.Release(MessageSavepoint);
            return;
        }
        catch (Exception exception) when (exception is not OperationCanceledException && write.Batch[index].Verdict.IsValid)
        {
            MessageWriteFailed(logger, write.Batch[index].Verdict.MessageId, exception);
            session.RollbackTo(MessageSavepoint);
        }
        write.Batch[index] = PendingMessage.NotStored(write.Messages[index], "The hub failed to store this message.");
        session.Write(write.Sender, [write.Batch[index]], write.ReceivedAt, stored);
    }

    /// <summary>Tells every observer what the group committed, message by message in commit order.</summary>
    private void Announce(List<IngestWrite> group)
    {
        var committed = new List<CommittedMessage>();
        foreach (var write in group)
        {
            if (write.Failed)
            {
                continue;
            }
            for (var i = 0; i < write.Stored.Length; i++)
            {
                if (write.Stored[i] is { Outcome: MessageOutcome.Accepted, Row: var row } && write.Batch[i].Verdict.Message is { } message)
                {
                    committed.Add(new CommittedMessage(row, write.Sender, message, write.ReceivedAt));
                }
            }
        }
        foreach (var observer in _observers)
        {
            try
            {
                observer.Committed(committed);
            }
            catch (Exception exception)
            {
                // An observer recovers what it missed from its own cursor; the writer goes on.
                ObserverFailed(logger, observer.GetType().Name, exception);
            }
        }
    }

    private static void Abandon(IIngestSession? session)
    {
        if (session is null)
        {
            return;
        }
        try
        {
            session.Rollback();
        }
        catch (Exception)
        {
            // Closing the connection rolls back whatever it left open.
        }
        session.Dispose();
    }

    private void Free(int messages)
    {
        lock (_gate)
        {
            _pending -= messages;
            _writing = 0;
        }
        _room.Fire();
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Fault point: holding the ingest commit")]
    private static partial void HoldingCommit(ILogger logger);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Writing a batch of {Count} messages failed; writing each alone")]
    private static partial void BatchWriteFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "Writing message {MessageId} failed; it is quarantined as not stored")]
    private static partial void MessageWriteFailed(ILogger logger, string? messageId, Exception exception);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Error, Message = "Writing a batch of {Count} messages failed, and so did quarantining what could not be stored; the batch is not acknowledged")]
    private static partial void MessagesFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Error, Message = "A group commit of {Writes} writes ({Messages} messages) failed; none of them is acknowledged")]
    private static partial void GroupFailed(ILogger logger, int writes, int messages, Exception exception);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Error, Message = "Commit observer {Observer} failed")]
    private static partial void ObserverFailed(ILogger logger, string observer, Exception exception);
}
