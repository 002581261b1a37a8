using System.Globalization;
using System.Security.Cryptography;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.OpenApi;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Subscriptions;

/// <summary>
/// An organization's subscriptions (SUB-001…): create with filters and a channel, list, pause, resume, delete, rewind,
/// rotate the webhook secret, and list and redrive dead letters. Every subscription belongs to the caller's
/// organization (the operator manages all); what it delivers is judged against that organization's visibility.
/// </summary>
internal static class SubscriptionsApi
{
    private static readonly string[] Levels = ["blue", "yellow", "orange", "red"];

    public static IEndpointRouteBuilder MapSubscriptions(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/subscriptions").WithTags("Subscriptions").RequireScope(Scopes.SubscriptionsManage);
        group.MapPost("/", CreateAsync).WithName("CreateSubscription")
            .WithSummary("Subscribe the organization to events: observations, alert changes, warnings; by webhook, server-sent events or MQTT.")
            .DocumentsProblem(StatusCodes.Status403Forbidden, "The filter names devices the organization may not read (`subscription.filter-forbidden`), or the token lacks the scope.")
            .DocumentsProblem(StatusCodes.Status409Conflict, "The organization holds as many subscriptions as it may (`subscription.limit-reached`).")
            .DocumentsProblem(StatusCodes.Status422UnprocessableEntity, "The webhook URL may not receive events (`subscription.url-refused`: not https, not public, not allow-listed) or its receiver failed the validation handshake (`subscription.handshake-failed`).");
        group.MapGet("/", ListAsync).WithName("ListSubscriptions").WithSummary("The organization's subscriptions, with their delivery statistics.");
        group.MapGet("/{subscriptionId}", GetAsync).WithName("GetSubscription").WithSummary("One subscription with its delivery statistics: last success, last failure, lag.");
        group.MapDelete("/{subscriptionId}", DeleteAsync).WithName("DeleteSubscription").WithSummary("Delete a subscription: once this answers, nothing more is delivered, and its event streams end.");
        group.MapPost("/{subscriptionId}/pause", PauseAsync).WithName("PauseSubscription").WithSummary("Pause delivery: once this answers, nothing more is delivered, and its event streams end; events wait in the outbox (within retention).");
        group.MapPost("/{subscriptionId}/resume", ResumeAsync).WithName("ResumeSubscription").WithSummary("Resume a paused or disabled subscription where it stopped.");
        group.MapPost("/{subscriptionId}/rewind", RewindAsync).WithName("RewindSubscription")
            .WithSummary("Deliver again from a time or an event id: the events after it are re-delivered in order, with their original ids.");
        group.MapPost("/{subscriptionId}/rotate-secret", RotateSecretAsync).WithName("RotateSubscriptionSecret")
            .WithSummary("Issue a new webhook signing secret: every delivery sent after the answer carries its signature, and the old one keeps signing beside it for the overlap.")
            .DocumentsProblem(StatusCodes.Status409Conflict, "Only webhook subscriptions sign with a secret (`subscription.no-secret`).");
        group.MapGet("/{subscriptionId}/dead-letters", ListDeadLettersAsync).WithName("ListDeadLetters")
            .WithSummary("Events the subscription gave up on after its attempts, oldest first.");
        group.MapPost("/{subscriptionId}/dead-letters/redrive", RedriveAsync).WithName("RedriveDeadLetters")
            .WithSummary("Deliver dead letters again (all of them, or the listed event ids) before anything new.");
        return app;
    }

    internal sealed record FilterRequest(string[]? Types, string[]? Domains, string[]? Profiles, string[]? Districts, string[]? Levels, string[]? Devices);

    /// <summary>A new subscription. <c>start</c>: <c>now</c> (default), <c>latest</c> (each device's latest observation first), or <c>time</c> with <c>from</c>.</summary>
    internal sealed record CreateSubscriptionRequest(
        string? Name, string? Channel, string? Url, FilterRequest? Filter, string? Mode, int? MaxBatch, int? Lanes, string? Start, DateTimeOffset? From);

    internal sealed record RewindRequest(DateTimeOffset? From, string? Cursor);

    internal sealed record RotateSecretRequest(int? OverlapSeconds);

    internal sealed record RedriveRequest(string[]? EventIds);

    /// <summary>How delivery goes: counts, the last success and failure, where the slowest lane is, how far behind, and when the next retry is due.</summary>
    internal sealed record DeliveryStatistics(
        long Delivered, long Failures, int DeadLetters, DateTimeOffset? LastSuccessAt, DateTimeOffset? LastFailureAt, string? LastFailure, string Cursor, double LagSeconds,
        DateTimeOffset? NextAttemptAt);

    internal sealed record SubscriptionResponse(
        string Id, string OrganizationId, string Name, string Channel, string Status, FilterRequest Filter, string? Url, string Mode, int? MaxBatch, int? Lanes,
        int? AllowedRate, string? Topic, string? Stream, DateTimeOffset CreatedAt, string CreatedBy, DeliveryStatistics Delivery, string? Secret = null);

    internal sealed record SecretResponse(string Secret, DateTimeOffset PreviousValidUntil);

    internal sealed record DeadLetterResponse(string EventId, string Type, string Subject, DateTimeOffset Time, DateTimeOffset DeadAt, int Attempts, string? LastError, bool Redriving);

    internal sealed record RedriveResponse(int Redriving);

    private static async Task<Results<Created<SubscriptionResponse>, ProblemHttpResult>> CreateAsync(
        CreateSubscriptionRequest request, HubDb db, SpecCatalog spec, OutboxReader outbox, WebhookAddressPolicy addresses, WebhookChannel webhooks,
        WebhookSecrets secrets, SubscriptionChanges changes, TimeProvider time, IOptions<SubscriptionOptions> options, HttpContext context)
    {
        var caller = context.Caller();
        var limits = options.Value;
        var check = new RequestValidator();
        check.Text(request.Name, "/name", Patterns.Name(), "A name of 1 to 200 characters, without leading or trailing spaces.");
        var channel = Parse<SubscriptionChannel>(check, request.Channel, "/channel", required: true);
        var mode = Parse<EventMode>(check, request.Mode, "/mode", required: false) ?? EventMode.Binary;
        Uri? url = null;
        if (channel == SubscriptionChannel.Webhook)
        {
            if (request.Url is null)
            {
                check.Add(ErrorCodes.MissingField, "/url", "A webhook subscription needs the receiver's URL.");
            }
            else if (request.Url.Length > SubscriptionOptions.MaxUrlLength || !Uri.TryCreate(request.Url, UriKind.Absolute, out url))
            {
                check.Add(ErrorCodes.InvalidValue, "/url", $"An absolute URL of at most {SubscriptionOptions.MaxUrlLength} characters.");
            }
        }
        else if (request.Url is not null)
        {
            check.Add(ErrorCodes.UnknownField, "/url", "Only webhook subscriptions have a URL.");
        }
        if (mode == EventMode.Batched && channel != SubscriptionChannel.Webhook)
        {
            check.Add(ErrorCodes.InvalidValue, "/mode", "Only webhooks deliver batches.");
        }
        if (channel == SubscriptionChannel.Sse && request.Mode is not null)
        {
            check.Add(ErrorCodes.InvalidValue, "/mode", "Server-sent events always carry structured events.");
        }
        if (request.MaxBatch is { } maxBatch && (mode != EventMode.Batched || maxBatch < 1 || maxBatch > limits.MaxBatch))
        {
            check.Add(ErrorCodes.InvalidValue, "/maxBatch", $"Batched webhooks take 1 to {limits.MaxBatch} events per request.");
        }
        if (request.Lanes is { } lanes && (channel == SubscriptionChannel.Sse || lanes < 1 || lanes > limits.MaxLanes))
        {
            check.Add(ErrorCodes.InvalidValue, "/lanes", $"Webhook and MQTT subscriptions deliver over 1 to {limits.MaxLanes} lanes.");
        }
        var start = request.Start ?? "now";
        if (start is not ("now" or "latest" or "time"))
        {
            check.Add(ErrorCodes.InvalidValue, "/start", "One of now, latest or time.");
        }
        else if ((start == "time") != request.From.HasValue)
        {
            check.Add(start == "time" ? ErrorCodes.MissingField : ErrorCodes.InvalidValue, "/from", "A start time goes with start = time, and only with it.");
        }
        var filter = await FilterAsync(check, request.Filter, "/filter", caller, db, spec, time, context.RequestAborted);
        if (check.Failed)
        {
            return check.Problem(context);
        }
        if (filter is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.SubscriptionFilterForbidden, "The filter names devices the organization may not read.");
        }
        if (await db.Subscriptions.CountAsync(s => s.OrganizationId == caller.OrganizationId, context.RequestAborted) >= limits.MaxPerOrganization)
        {
            return ProblemResults.Problem(context, ErrorCodes.SubscriptionLimitReached, $"An organization holds at most {limits.MaxPerOrganization} subscriptions.");
        }

        int? allowedRate = null;
        if (url is not null)
        {
            if (await addresses.RefuseAsync(url, context.RequestAborted) is { } refusal)
            {
                return ProblemResults.Problem(context, ErrorCodes.SubscriptionUrlRefused, refusal);
            }
            var origin = limits.Origin ?? context.Request.Host.Host;
            var (valid, rate, error) = await webhooks.HandshakeAsync(url, origin, context.RequestAborted);
            if (!valid)
            {
                return ProblemResults.Problem(context, ErrorCodes.SubscriptionHandshakeFailed, error);
            }
            allowedRate = rate;
        }

        var now = time.GetUtcNow();
        var newest = await outbox.NewestAsync(context.RequestAborted);
        var (cursor, latestThrough) = start switch
        {
            "time" => (await outbox.CursorAtAsync(request.From!.Value, context.RequestAborted), 0L),
            "latest" => (await OldestLatestAsync(db, newest, context.RequestAborted), newest),
            _ => (newest, 0L),
        };
        var secret = channel == SubscriptionChannel.Webhook ? WebhookSecrets.Create() : null;
        var subscription = new Subscription
        {
            Id = "sub-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            OrganizationId = caller.OrganizationId,
            Name = request.Name!,
            Channel = channel!.Value,
            Filter = filter,
            Status = SubscriptionStatus.Active,
            Url = url?.ToString(),
            Mode = channel == SubscriptionChannel.Sse ? EventMode.Structured : mode,
            MaxBatch = mode == EventMode.Batched ? request.MaxBatch ?? limits.MaxBatch : 1,
            Lanes = channel == SubscriptionChannel.Sse ? 1 : request.Lanes ?? limits.DefaultLanes,
            AllowedRate = allowedRate,
            Secrets = secret is null ? null : secrets.Protect([new WebhookSecret(secret, null)]),
            LatestThrough = latestThrough,
            CreatedAt = now.ToUnixTimeMilliseconds(),
            CreatedBy = caller.ClientId,
        };
        db.Subscriptions.Add(subscription);
        for (var lane = 0; lane < subscription.Lanes; lane++)
        {
            db.SubscriptionLanes.Add(new SubscriptionLane { SubscriptionId = subscription.Id, Lane = lane, Cursor = cursor });
        }
        db.Record(now, caller.ClientId, "subscription.create", subscription.Id, new { subscription.Name, channel = subscription.Channel.ToString(), subscription.Url, start });
        await db.SaveChangesAsync(context.RequestAborted);
        await changes.AppliedAsync(context.RequestAborted);
        var response = await ResponseAsync(db, subscription, time, context.RequestAborted) with { Secret = secret };
        return TypedResults.Created($"/v1/subscriptions/{subscription.Id}", response);
    }

    private static async Task<Ok<SubscriptionResponse[]>> ListAsync(HubDb db, TimeProvider time, HttpContext context)
    {
        var organizationId = context.Caller().OrganizationId;
        var subscriptions = await db.Subscriptions.AsNoTracking().Where(s => s.OrganizationId == organizationId).OrderBy(s => s.CreatedAt).ToListAsync(context.RequestAborted);
        var responses = new List<SubscriptionResponse>(subscriptions.Count);
        foreach (var subscription in subscriptions)
        {
            responses.Add(await ResponseAsync(db, subscription, time, context.RequestAborted));
        }
        return TypedResults.Ok(responses.ToArray());
    }

    private static async Task<Results<Ok<SubscriptionResponse>, ProblemHttpResult>> GetAsync(string subscriptionId, HubDb db, TimeProvider time, HttpContext context) =>
        await FindAsync(db, subscriptionId, context) is { } subscription
            ? TypedResults.Ok(await ResponseAsync(db, subscription, time, context.RequestAborted))
            : NotFound(context, subscriptionId);

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string subscriptionId, HubDb db, SubscriptionChanges changes, TimeProvider time, HttpContext context)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(context.RequestAborted);
        if (await FindAsync(db, subscriptionId, context, tracked: true) is not { } subscription)
        {
            return NotFound(context, subscriptionId);
        }
        db.Subscriptions.Remove(subscription);
        db.Record(time.GetUtcNow(), context.Caller().ClientId, "subscription.delete", subscription.Id);
        await CommitAsync(db, transaction, changes, context.RequestAborted);
        return TypedResults.NoContent();
    }

    private static Task<Results<Ok<SubscriptionResponse>, ProblemHttpResult>> PauseAsync(
        string subscriptionId, HubDb db, SubscriptionChanges changes, TimeProvider time, HttpContext context) =>
        ChangeAsync(subscriptionId, "subscription.pause", s => s.Status = SubscriptionStatus.Paused, db, changes, time, context);

    private static Task<Results<Ok<SubscriptionResponse>, ProblemHttpResult>> ResumeAsync(
        string subscriptionId, HubDb db, SubscriptionChanges changes, TimeProvider time, HttpContext context) =>
        ChangeAsync(subscriptionId, "subscription.resume", s => s.Status = SubscriptionStatus.Active, db, changes, time, context);

    private static async Task<Results<Ok<SubscriptionResponse>, ProblemHttpResult>> RewindAsync(
        string subscriptionId, RewindRequest request, HubDb db, OutboxReader outbox, SubscriptionChanges changes, TimeProvider time, HttpContext context)
    {
        long cursor = 0;
        var check = new RequestValidator();
        if ((request.From is null) == (request.Cursor is null))
        {
            check.Add(ErrorCodes.InvalidValue, "/from", "Name either a time (from) or an event id (cursor).");
        }
        else if (request.Cursor is not null && (!Cursors.TryLong(request.Cursor, out cursor) || cursor < 0))
        {
            check.Add(ErrorCodes.InvalidValue, "/cursor", "An event id, as the events carry it.");
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }
        if (request.From is { } from)
        {
            cursor = await outbox.CursorAtAsync(from, context.RequestAborted);
        }
        return await ChangeAsync(subscriptionId, "subscription.rewind", _ => { }, db, changes, time, context, async subscription =>
        {
            var lanes = await db.SubscriptionLanes.Where(l => l.SubscriptionId == subscription.Id).ToListAsync(context.RequestAborted);
            foreach (var lane in lanes)
            {
                (lane.Cursor, lane.Attempts, lane.NextAttemptAt) = (cursor, 0, null);
                lane.Rewinds++;
            }
        }, new { request.From, cursor });
    }

    private static async Task<Results<Ok<SecretResponse>, ProblemHttpResult>> RotateSecretAsync(
        string subscriptionId, RotateSecretRequest? request, HubDb db, WebhookSecrets secrets, SubscriptionChanges changes, TimeProvider time,
        IOptions<SubscriptionOptions> options, HttpContext context)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(context.RequestAborted);
        if (await FindAsync(db, subscriptionId, context, tracked: true) is not { } subscription)
        {
            return NotFound(context, subscriptionId);
        }
        if (subscription.Channel != SubscriptionChannel.Webhook)
        {
            return ProblemResults.Problem(context, ErrorCodes.SubscriptionNoSecret, "Only webhook subscriptions sign with a secret.");
        }
        if (request?.OverlapSeconds is { } seconds && (seconds < 0 || seconds > TimeSpan.FromDays(7).TotalSeconds))
        {
            return new RequestValidator().Add(ErrorCodes.InvalidValue, "/overlapSeconds", "Between 0 and 604800 seconds (seven days).").Problem(context);
        }
        var now = time.GetUtcNow();
        var until = now + (request?.OverlapSeconds is { } overlap ? TimeSpan.FromSeconds(overlap) : options.Value.SecretOverlap);
        var untilMs = until.ToUnixTimeMilliseconds();
        var secret = WebhookSecrets.Create();
        var kept = secrets.Unprotect(subscription.Secrets)
            .Where(s => s.NotAfter is not { } end || end > now.ToUnixTimeMilliseconds())
            .Select(s => s with { NotAfter = Math.Min(s.NotAfter ?? long.MaxValue, untilMs) });
        subscription.Secrets = secrets.Protect([new WebhookSecret(secret, null), .. kept]);
        subscription.Version++;
        db.Record(now, context.Caller().ClientId, "subscription.rotate-secret", subscription.Id, new { previousValidUntil = until });
        await CommitAsync(db, transaction, changes, context.RequestAborted);
        return TypedResults.Ok(new SecretResponse(secret, until));
    }

    private static async Task<Results<Ok<Page<DeadLetterResponse>>, ProblemHttpResult>> ListDeadLettersAsync(
        string subscriptionId, string? cursor, int? limit, HubDb db, HttpContext context)
    {
        if (await FindAsync(db, subscriptionId, context) is null)
        {
            return NotFound(context, subscriptionId);
        }
        if (!Cursors.TryDecodeId(cursor, 0, out var after))
        {
            return ProblemResults.Problem(context, ErrorCodes.InvalidCursor, "The cursor is not one this endpoint returned.");
        }
        var take = Cursors.Limit(limit);
        var letters = await db.DeadLetters.AsNoTracking().Include(d => d.Event)
            .Where(d => d.SubscriptionId == subscriptionId && d.EventId > after)
            .OrderBy(d => d.EventId).Take(take + 1).ToListAsync(context.RequestAborted);
        var items = letters.Take(take).Select(d => new DeadLetterResponse(
            CloudEventFormat.Id(d.Event!), d.Event!.Type, d.Event.Subject, DateTimeOffset.FromUnixTimeMilliseconds(d.Event.Time),
            DateTimeOffset.FromUnixTimeMilliseconds(d.DeadAt), d.Attempts, d.LastError, d.Redrive)).ToList();
        return TypedResults.Ok(new Page<DeadLetterResponse>(items, letters.Count > take ? Cursors.Encode(letters[take - 1].EventId) : null));
    }

    private static async Task<Results<Ok<RedriveResponse>, ProblemHttpResult>> RedriveAsync(
        string subscriptionId, RedriveRequest? request, HubDb db, SubscriptionChanges changes, TimeProvider time, HttpContext context)
    {
        var ids = new List<long>();
        foreach (var (text, index) in (request?.EventIds ?? []).Select((t, i) => (t, i)))
        {
            if (!Cursors.TryLong(text, out var id))
            {
                return new RequestValidator().Add(ErrorCodes.InvalidValue, $"/eventIds/{index}", "An event id, as the dead letters list it.").Problem(context);
            }
            ids.Add(id);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(context.RequestAborted);
        if (await FindAsync(db, subscriptionId, context, tracked: true) is not { } subscription)
        {
            return NotFound(context, subscriptionId);
        }
        var letters = db.DeadLetters.Where(d => d.SubscriptionId == subscriptionId && !d.Redrive);
        if (ids.Count > 0)
        {
            letters = letters.Where(d => ids.Contains(d.EventId));
        }
        var redriven = 0;
        foreach (var letter in await letters.ToListAsync(context.RequestAborted))
        {
            letter.Redrive = true;
            redriven++;
        }
        subscription.Version++;
        db.Record(time.GetUtcNow(), context.Caller().ClientId, "subscription.redrive", subscription.Id, new { redriven });
        await CommitAsync(db, transaction, changes, context.RequestAborted);
        return TypedResults.Ok(new RedriveResponse(redriven));
    }

    /// <summary>Applies a change that restarts delivery from the stored state, audits it, and answers with the subscription.</summary>
    private static async Task<Results<Ok<SubscriptionResponse>, ProblemHttpResult>> ChangeAsync(
        string subscriptionId, string action, Action<Subscription> change, HubDb db, SubscriptionChanges changes, TimeProvider time, HttpContext context,
        Func<Subscription, Task>? more = null, object? details = null)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(context.RequestAborted);
        if (await FindAsync(db, subscriptionId, context, tracked: true) is not { } subscription)
        {
            return NotFound(context, subscriptionId);
        }
        change(subscription);
        if (more is not null)
        {
            await more(subscription);
        }
        subscription.Version++;
        db.Record(time.GetUtcNow(), context.Caller().ClientId, action, subscription.Id, details);
        await CommitAsync(db, transaction, changes, context.RequestAborted);
        return TypedResults.Ok(await ResponseAsync(db, subscription, time, context.RequestAborted));
    }

    /// <summary>
    /// Commits a change to a subscription and waits until delivery follows it. Each change reads the subscription inside
    /// its write transaction, so changes made at the same moment apply one after another, none lost.
    /// </summary>
    private static async Task CommitAsync(HubDb db, IDbContextTransaction transaction, SubscriptionChanges changes, CancellationToken cancellationToken)
    {
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await changes.AppliedAsync(cancellationToken);
    }

    /// <summary>The subscription, if the caller's organization owns it (the operator may manage any).</summary>
    internal static async Task<Subscription?> FindAsync(HubDb db, string subscriptionId, HttpContext context, bool tracked = false)
    {
        var caller = context.Caller();
        var query = tracked ? db.Subscriptions : db.Subscriptions.AsNoTracking();
        return await query.FirstOrDefaultAsync(s => s.Id == subscriptionId && (caller.IsOperator || s.OrganizationId == caller.OrganizationId), context.RequestAborted);
    }

    private static ProblemHttpResult NotFound(HttpContext context, string subscriptionId) =>
        ProblemResults.Problem(context, ErrorCodes.SubscriptionNotFound, $"No subscription '{subscriptionId}' in your organization.");

    /// <summary>
    /// Checks a filter and resolves its devices. Returns null when it names a device the caller may not read (a
    /// cross-organization filter is refused, not silently emptied).
    /// </summary>
    internal static async Task<EventFilter?> FilterAsync(
        RequestValidator check, FilterRequest? request, string pointer, Caller caller, HubDb db, SpecCatalog spec, TimeProvider time, CancellationToken cancellationToken)
    {
        if (request is null)
        {
            return new EventFilter();
        }
        var types = new List<string>();
        foreach (var (value, index) in Indexed(request.Types))
        {
            var matching = spec.Events.Types.Where(t => t.Type == value || EventTypes.Family(t.Type) == value).Select(t => t.Type).ToList();
            if (matching.Count == 0)
            {
                check.Add(ErrorCodes.InvalidValue, $"{pointer}/types/{index}", "An event type from events.json, or a family: observation, alert, warning.");
            }
            types.AddRange(matching);
        }
        var domains = spec.Profiles.Values.Select(p => p.Domain).ToHashSet(StringComparer.Ordinal);
        Each(check, request.Domains, $"{pointer}/domains", v => domains.Contains(v), "A monitoring domain of the profiles (gas, water, bridge, …).");
        Each(check, request.Profiles, $"{pointer}/profiles", spec.Profiles.ContainsKey, "A profile id the spec lists.");
        Each(check, request.Districts, $"{pointer}/districts", AreaCatalog.IsWellFormed, "A GB/T 2260 code: six digits, e.g. 370202.");
        Each(check, request.Levels, $"{pointer}/levels", v => Levels.Contains(v), "blue, yellow, orange or red.");

        var keys = new List<long>();
        var forbidden = false;
        if (request.Devices is { Length: > 0 } devices)
        {
            var visible = await Visibility.CompileAsync(caller, db, time.GetUtcNow(), cancellationToken);
            foreach (var (value, index) in Indexed(devices))
            {
                var slash = value.IndexOf('/', StringComparison.Ordinal);
                if (slash <= 0)
                {
                    check.Add(ErrorCodes.InvalidValue, $"{pointer}/devices/{index}", "A device as {organizationId}/{deviceId}.");
                    continue;
                }
                var (organizationId, deviceId) = (value[..slash], value[(slash + 1)..]);
                var device = await db.Devices.AsNoTracking().FirstOrDefaultAsync(d => d.OrganizationId == organizationId && d.DeviceId == deviceId, cancellationToken);
                var domain = device is not null && spec.Profiles.TryGetValue(device.ProfileId, out var profile) ? profile.Domain : "";
                if (device is null || !visible(new LiveRow(device.OrganizationId, domain, device.District, Sandbox: false)))
                {
                    forbidden = true;
                    continue;
                }
                keys.Add(device.Key);
            }
        }
        if (check.Failed || forbidden)
        {
            return null;
        }
        return new EventFilter
        {
            Types = types.Count > 0 ? [.. types.Distinct(StringComparer.Ordinal)] : null,
            Domains = request.Domains,
            Profiles = request.Profiles,
            Districts = request.Districts,
            Levels = request.Levels,
            Devices = request.Devices,
            DeviceKeys = keys.Count > 0 ? [.. keys] : null,
        };
    }

    private static void Each(RequestValidator check, string[]? values, string pointer, Func<string, bool> valid, string describe)
    {
        foreach (var (value, index) in Indexed(values))
        {
            if (!valid(value))
            {
                check.Add(ErrorCodes.InvalidValue, $"{pointer}/{index}", describe);
            }
        }
    }

    private static IEnumerable<(string Value, int Index)> Indexed(string[]? values) => (values ?? []).Select((v, i) => (v ?? "", i));

    private static T? Parse<T>(RequestValidator check, string? value, string pointer, bool required)
        where T : struct, Enum
    {
        if (value is null)
        {
            if (required)
            {
                check.Add(ErrorCodes.MissingField, pointer, $"'{pointer.TrimStart('/')}' is required.");
            }
            return null;
        }
        if (Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && value.All(char.IsLetter))
        {
            return parsed;
        }
        check.Add(ErrorCodes.InvalidValue, pointer, $"One of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
        return null;
    }

    /// <summary>Where a subscription that starts from each device's latest value begins reading: just before the oldest such value.</summary>
    private static async Task<long> OldestLatestAsync(HubDb db, long newest, CancellationToken cancellationToken)
    {
        var oldest = await db.Outbox.Where(e => e.Id <= newest && e.Type == EventTypes.Observation && e.DeviceKey != null)
            .GroupBy(e => e.DeviceKey).Select(g => g.Max(e => e.Id)).OrderBy(id => id).Select(id => (long?)id).FirstOrDefaultAsync(cancellationToken);
        return oldest is { } id ? id - 1 : newest;
    }

    private static async Task<SubscriptionResponse> ResponseAsync(HubDb db, Subscription s, TimeProvider time, CancellationToken cancellationToken)
    {
        var lanes = await db.SubscriptionLanes.AsNoTracking().Where(l => l.SubscriptionId == s.Id).ToListAsync(cancellationToken);
        var cursor = lanes.Count == 0 ? 0 : lanes.Min(l => l.Cursor);
        var retry = lanes.Min(l => l.NextAttemptAt);
        var deadLetters = await db.DeadLetters.CountAsync(d => d.SubscriptionId == s.Id && !d.Redrive, cancellationToken);
        // Lag: the age of the oldest event the slowest lane has not passed yet.
        var waiting = await db.Outbox.Where(e => e.Id > cursor).OrderBy(e => e.Id).Select(e => (long?)e.Time).FirstOrDefaultAsync(cancellationToken);
        var lag = s.Channel == SubscriptionChannel.Sse || waiting is null ? 0 : Math.Max(0, (time.GetUtcNow().ToUnixTimeMilliseconds() - waiting.Value) / 1000.0);
        var push = s.Channel != SubscriptionChannel.Sse;
        return new SubscriptionResponse(
            s.Id, s.OrganizationId, s.Name, Wire(s.Channel), Wire(s.Status),
            new FilterRequest(s.Filter.Types, s.Filter.Domains, s.Filter.Profiles, s.Filter.Districts, s.Filter.Levels, s.Filter.Devices),
            s.Url, Wire(s.Mode), s.Mode == EventMode.Batched ? s.MaxBatch : null, push ? s.Lanes : null, s.AllowedRate,
            s.Channel == SubscriptionChannel.Mqtt ? Mqtt.MqttTopics.Subscription(s.Id) : null,
            s.Channel == SubscriptionChannel.Sse ? $"/v1/stream?subscription={s.Id}" : null,
            DateTimeOffset.FromUnixTimeMilliseconds(s.CreatedAt), s.CreatedBy,
            new DeliveryStatistics(s.Delivered, s.Failures, deadLetters, Time(s.LastSuccessAt), Time(s.LastFailureAt), s.LastFailure,
                cursor.ToString(CultureInfo.InvariantCulture), lag, Time(retry)));
    }

    private static DateTimeOffset? Time(long? milliseconds) => milliseconds is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    private static string Wire<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();
}
