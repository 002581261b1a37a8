using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.OpenApi;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Telemetry;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

namespace IntegrationHub.Gateway.Subscriptions;

/// <summary>
/// Events as server-sent event frames (<c>id</c>, <c>event</c>, the structured event as <c>data</c>), in UTF-8: each
/// event's frame is made once, whichever streams send it.
/// </summary>
internal sealed class EventStreamFrames(CloudEventFormat format)
{
    private readonly ConditionalWeakTable<OutboxEvent, byte[]> _frames = [];

    public byte[] Of(OutboxEvent e) => _frames.GetValue(e, Frame);

    private byte[] Frame(OutboxEvent e)
    {
        // The structured event is one line of JSON (no indentation), so it fits one data field.
        var head = Encoding.UTF8.GetBytes($"id: {CloudEventFormat.Id(e)}\nevent: {e.Type}\ndata: ");
        var data = format.Structured(e);
        var frame = new byte[head.Length + data.Length + 2];
        head.CopyTo(frame, 0);
        data.CopyTo(frame, head.Length);
        frame[^2] = frame[^1] = (byte)'\n';
        return frame;
    }
}

/// <summary>Open event streams per organization, bounded (<see cref="SubscriptionOptions.MaxStreamsPerOrganization"/>).</summary>
internal sealed class OpenStreams(IOptions<SubscriptionOptions> options)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _open = new(StringComparer.Ordinal);

    public bool TryOpen(string organizationId)
    {
        lock (_lock)
        {
            var count = _open.GetValueOrDefault(organizationId);
            if (count >= options.Value.MaxStreamsPerOrganization)
            {
                return false;
            }
            _open[organizationId] = count + 1;
            return true;
        }
    }

    public void Close(string organizationId)
    {
        lock (_lock)
        {
            if (_open.TryGetValue(organizationId, out var count) && count > 1)
            {
                _open[organizationId] = count - 1;
            }
            else
            {
                _open.Remove(organizationId);
            }
        }
    }
}

/// <summary>
/// Server-sent events (SUB-004): <c>GET /v1/stream</c> sends the events the caller may read, filtered like a
/// subscription, each with its outbox id as the SSE id, so <c>Last-Event-ID</c> resumes exactly where the connection
/// dropped (within retention). Idle streams get heartbeats that also carry the position, so a resume does not rescan
/// what the filter skipped. A stream ends when the caller's token expires or its client is suspended, and at once when
/// the hub stops: an open stream must not hold the shutdown up, and its reader should learn that it is disconnected.
/// </summary>
internal static partial class EventStreamApi
{
    private const int ReadSize = 256;
    private const string MediaType = "text/event-stream";

    public static IEndpointRouteBuilder MapEventStream(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/stream", StreamAsync).WithTags("Subscriptions").WithName("StreamEvents")
            .WithSummary("Server-sent events: observations (telemetry:read), alert changes and warnings (alerts:read), or a subscription's events (subscriptions:manage).")
            .RequireAuthorization(HubPolicies.ActiveClient)
            .Produces<string>(StatusCodes.Status200OK, MediaType)
            .DocumentsProblem(StatusCodes.Status404NotFound, "No such subscription in your organization (`subscription.not-found`).")
            .DocumentsProblem(StatusCodes.Status409Conflict, "The subscription is paused or disabled (`subscription.not-active`); an open stream of it ends when it is paused, disabled or deleted.")
            .DocumentsProblem(StatusCodes.Status410Gone, "Last-Event-ID is older than the events the hub keeps (`stream.cursor-expired`).")
            .DocumentsProblem(StatusCodes.Status429TooManyRequests, "The organization holds as many open streams as it may (`stream.limit-reached`).");
        return app;
    }

    private static async Task<IResult> StreamAsync(
        string? subscription, [FromQuery] string[]? types, [FromQuery] string[]? domains, [FromQuery] string[]? profiles, [FromQuery] string[]? districts,
        [FromQuery] string[]? levels, [FromQuery] string[]? devices, DateTimeOffset? since, string? lastEventId,
        HubDb db, SpecCatalog spec, OutboxReader outbox, SubscriptionChanges changes, OpenStreams open, EventStreamFrames frames, ClientAccess clients, TimeProvider time,
        IOptions<SubscriptionOptions> options, ILoggerFactory logs, IHostApplicationLifetime lifetime, HttpContext context)
    {
        var caller = context.Caller();
        var cancellationToken = context.RequestAborted;

        // What the caller may read: a subscription's filter, or its own within what its scopes allow.
        var check = new RequestValidator();
        EventFilter? filter;
        Subscription? owned = null;
        if (subscription is not null)
        {
            if (!caller.Scopes.Contains(Scopes.SubscriptionsManage))
            {
                return ProblemResults.Problem(context, ErrorCodes.InsufficientScope, $"Streaming a subscription needs the '{Scopes.SubscriptionsManage}' scope.");
            }
            owned = await SubscriptionsApi.FindAsync(db, subscription, context);
            if (owned is null)
            {
                return ProblemResults.Problem(context, ErrorCodes.SubscriptionNotFound, $"No subscription '{subscription}' in your organization.");
            }
            if (owned.Status != SubscriptionStatus.Active)
            {
                return ProblemResults.Problem(context, ErrorCodes.SubscriptionNotActive, $"Subscription '{subscription}' is {owned.Status.ToString().ToLowerInvariant()}; resume it first.");
            }
            filter = owned.Filter;
        }
        else
        {
            filter = await SubscriptionsApi.FilterAsync(check, new SubscriptionsApi.FilterRequest(types, domains, profiles, districts, levels, devices), "", caller, db, spec, time, cancellationToken);
            if (check.Failed)
            {
                return ProblemResults.Problem(context, ErrorCodes.InvalidParameter, "The query's filter is not valid.", check.Findings);
            }
            if (filter is null)
            {
                return ProblemResults.Problem(context, ErrorCodes.SubscriptionFilterForbidden, "The filter names devices your organization may not read.");
            }
        }
        var allowed = AllowedTypes(caller, spec, owned is not null);
        if (filter.Types?.FirstOrDefault(t => !allowed.Contains(t)) is { } refused)
        {
            return ProblemResults.Problem(context, ErrorCodes.InsufficientScope, $"Events of type '{refused}' need the {(EventTypes.Family(refused) == "observation" ? Scopes.TelemetryRead : Scopes.AlertsRead)} scope.");
        }
        if (allowed.Count == 0)
        {
            return ProblemResults.Problem(context, ErrorCodes.InsufficientScope, $"Streaming needs {Scopes.TelemetryRead}, {Scopes.AlertsRead} or {Scopes.SubscriptionsManage}.");
        }

        // Where to start: after Last-Event-ID, else at a time, else where the subscription's stream stopped, else now. The
        // subscription's position is read once: the stream saves its progress against exactly what it read.
        var lane = owned is null ? null : await db.SubscriptionLanes.AsNoTracking().FirstOrDefaultAsync(l => l.SubscriptionId == owned.Id, cancellationToken);
        var resume = context.Request.Headers["Last-Event-ID"].FirstOrDefault() ?? lastEventId;
        long cursor;
        if (resume is not null)
        {
            if (!Cursors.TryLong(resume, out cursor) || cursor < 0)
            {
                return ProblemResults.Problem(context, ErrorCodes.InvalidCursor, "Last-Event-ID must be the id of an event this stream sent.");
            }
            if (await outbox.OldestAsync(cancellationToken) is { } oldest && cursor < oldest - 1)
            {
                return ProblemResults.Problem(context, ErrorCodes.StreamCursorExpired, $"Event {cursor} is older than the events the hub still keeps.");
            }
        }
        else if (since is { } from)
        {
            cursor = await outbox.CursorAtAsync(from, cancellationToken);
        }
        else if (owned is not null)
        {
            cursor = lane?.Cursor ?? 0;
        }
        else
        {
            cursor = await outbox.NewestAsync(cancellationToken);
        }

        if (!open.TryOpen(caller.OrganizationId))
        {
            return ProblemResults.Problem(context, ErrorCodes.StreamLimitReached, $"At most {options.Value.MaxStreamsPerOrganization} open streams per organization.");
        }
        try
        {
            var stream = new EventStream(context, caller, filter, allowed, owned, lane, db, outbox, changes, frames, clients, time, options.Value, logs.CreateLogger(typeof(EventStreamApi)), lifetime.ApplicationStopping);
            await stream.RunAsync(cursor);
        }
        finally
        {
            open.Close(caller.OrganizationId);
        }
        return Results.Empty;
    }

    /// <summary>The event types the caller's scopes let it read; a subscription stream may read every type.</summary>
    private static HashSet<string> AllowedTypes(Caller caller, SpecCatalog spec, bool subscription) =>
        spec.Events.Types.Select(t => t.Type).Where(type => subscription || EventTypes.Family(type) switch
        {
            "observation" => caller.Scopes.Contains(Scopes.TelemetryRead),
            _ => caller.Scopes.Contains(Scopes.AlertsRead),
        }).ToHashSet(StringComparer.Ordinal);

    private sealed partial class EventStream(
        HttpContext context, Caller caller, EventFilter filter, HashSet<string> allowed, Subscription? subscription, SubscriptionLane? lane, HubDb db, OutboxReader outbox, SubscriptionChanges changes,
        EventStreamFrames frames, ClientAccess clients, TimeProvider time, SubscriptionOptions options, ILogger logger, CancellationToken stopping)
    {
        private static readonly Task Never = new TaskCompletionSource().Task;

        private Func<LiveRow, bool> _visible = _ => false;
        private DateTimeOffset _refreshAt;
        private (long Cursor, long Rewinds)? _stored = lane is null ? null : (lane.Cursor, lane.Rewinds);

        // When the position was last saved, in real time: saving paces writes to the database, it decides nothing.
        private long _savedAt = TimeProvider.System.GetTimestamp();

        public async Task RunAsync(long cursor)
        {
            // The stream ends when its reader goes, or when the hub stops: Kestrel waits for open requests before it exits.
            using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
            var cancellationToken = ended.Token;
            var response = context.Response;
            response.ContentType = MediaType;
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            var expires = context.User.GetExpirationDate() ?? DateTimeOffset.MaxValue;
            var saved = cursor;
            try
            {
                await response.WriteAsync("retry: 3000\n\n", cancellationToken);
                await response.Body.FlushAsync(cancellationToken);
                // A subscription's stream also wakes when subscriptions change, and ends once its own is paused, disabled or deleted.
                var changed = subscription is null ? Never : changes.Next;
                while (!cancellationToken.IsCancellationRequested)
                {
                    var next = outbox.Signal.Next;
                    if (changed.IsCompleted)
                    {
                        changed = changes.Next;
                        if (!await StillActiveAsync(cancellationToken))
                        {
                            return;
                        }
                    }
                    if (!await RefreshAsync(expires, cancellationToken))
                    {
                        return;
                    }
                    var read = await outbox.ReadAfterAsync(cursor, ReadSize, cancellationToken);
                    var wrote = false;
                    foreach (var e in read)
                    {
                        cursor = e.Id;
                        if (allowed.Contains(e.Type) && filter.Matches(e) && Visible(e))
                        {
                            await WriteAsync(response, e, cancellationToken);
                            wrote = true;
                        }
                    }
                    if (wrote)
                    {
                        await response.Body.FlushAsync(cancellationToken);
                    }
                    if (read.Count == ReadSize)
                    {
                        continue;
                    }
                    if (TimeProvider.System.GetElapsedTime(_savedAt) >= options.CursorSaveInterval)
                    {
                        saved = await SaveAsync(cursor, saved);
                    }
                    var untilExpiry = expires - time.GetUtcNow();
                    var wait = options.Heartbeat < untilExpiry ? options.Heartbeat : untilExpiry > TimeSpan.Zero ? untilExpiry : TimeSpan.Zero;
                    await Hosting.Pulse.WaitAsync(Task.WhenAny(next, changed), wait, time, cancellationToken);
                    if (!next.IsCompleted && !changed.IsCompleted)
                    {
                        // A heartbeat: a comment keeps proxies from closing the connection; the id moves the resume point past skipped events.
                        await response.WriteAsync($": heartbeat\nid: {cursor.ToString(CultureInfo.InvariantCulture)}\n\n", cancellationToken);
                        await response.Body.FlushAsync(cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                if (stopping.IsCancellationRequested)
                {
                    StreamEnded(logger, caller.ClientId, "the hub is stopping");
                }
            }
            finally
            {
                await SaveAsync(cursor, saved);
            }
        }

        private async Task WriteAsync(HttpResponse response, OutboxEvent e, CancellationToken cancellationToken) =>
            await response.Body.WriteAsync(frames.Of(e), cancellationToken);

        private bool Visible(OutboxEvent e) =>
            (e.Type == EventTypes.Warning && !e.Sandbox)
            || _visible(LiveRow.Of(e));

        /// <summary>Whether a subscription's stream may go on after a change to some subscription: not once its own was paused, disabled or deleted.</summary>
        private async Task<bool> StillActiveAsync(CancellationToken cancellationToken)
        {
            if (await db.Subscriptions.AsNoTracking().AnyAsync(s => s.Id == subscription!.Id && s.Status == SubscriptionStatus.Active, cancellationToken))
            {
                return true;
            }
            StreamEnded(logger, caller.ClientId, "its subscription is no longer active");
            return false;
        }

        /// <summary>Re-reads visibility and the client's standing now and then; false when the stream must end.</summary>
        private async Task<bool> RefreshAsync(DateTimeOffset expires, CancellationToken cancellationToken)
        {
            var now = time.GetUtcNow();
            if (now >= expires)
            {
                StreamEnded(logger, caller.ClientId, "its token expired");
                return false;
            }
            if (now < _refreshAt)
            {
                return true;
            }
            var decision = await ActiveClientHandler.DecideAsync(context, context.User, clients);
            if (decision.Caller is null)
            {
                StreamEnded(logger, caller.ClientId, decision.RefusalCode ?? "its access ended");
                return false;
            }
            _visible = await Visibility.CompileAsync(caller, db, now, cancellationToken);
            _refreshAt = now + options.RefreshInterval;
            return true;
        }

        /// <summary>
        /// A subscription's stream keeps its position, so a reconnect without Last-Event-ID resumes there: saved when the
        /// stream is idle, at most every <see cref="SubscriptionOptions.CursorSaveInterval"/>, and when it ends. It moves the
        /// stored position only from where it last saw it, and only when no rewind came since: the rewind (or another stream of
        /// the subscription) wins.
        /// </summary>
        private async Task<long> SaveAsync(long cursor, long saved)
        {
            if (subscription is null || cursor == saved || _stored is not { } stored)
            {
                return saved;
            }
            var moved = await db.SubscriptionLanes.Where(l => l.SubscriptionId == subscription.Id && l.Cursor == stored.Cursor && l.Rewinds == stored.Rewinds)
                .ExecuteUpdateAsync(s => s.SetProperty(l => l.Cursor, cursor), CancellationToken.None);
            _savedAt = TimeProvider.System.GetTimestamp();
            _stored = moved == 1 ? (cursor, stored.Rewinds) : null;
            return cursor;
        }

        [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "Ending the event stream of {ClientId}: {Reason}")]
        private static partial void StreamEnded(ILogger logger, string clientId, string reason);
    }
}
