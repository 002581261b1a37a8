using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Cap;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Alerts.Cap;
using IntegrationHub.Gateway.Alerts.Rules;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.OpenApi;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace IntegrationHub.Gateway.Warnings;

/// <summary>
/// Agencies' CAP warnings (specs/cap/README.md, CAP-008 to CAP-010): an agency's client posts CAP 1.2 XML, national
/// profile or OASIS; the hub judges it with the spec's one CAP check, keeps it with OASIS values, announces it as a
/// <c>city.integrationhub.warning.v1</c> event and shows it beside its own alerts. A refused document is answered with
/// every finding and kept in the quarantine, like refused telemetry.
/// </summary>
internal static class WarningsApi
{
    public static readonly string[] MediaTypes = [CapDocument.MediaType, "application/xml", "text/xml"];

    private const string Transport = "http";

    public static IEndpointRouteBuilder MapWarnings(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/warnings", PostAsync)
            .WithTags("Warnings")
            .RequireScope(Scopes.WarningsWrite)
            .RequireRateLimiting(HubRateLimits.IngestPolicy)
            .Accepts<string>(MediaTypes[0], MediaTypes[1..])
            .DocumentsProblem(StatusCodes.Status400BadRequest, "The body is not well-formed XML, or declares a DTD (`request.malformed-body`).")
            .DocumentsProblem(StatusCodes.Status403Forbidden, "The token lacks the 'warnings:write' scope; or the sender is another organization's (`warning.sender-foreign`), or an area lies outside the agency's own area (`warning.area-outside`).")
            .DocumentsProblem(StatusCodes.Status409Conflict, "The sender already used this identifier for another document (`warning.exists`).")
            .DocumentsProblem(StatusCodes.Status413PayloadTooLarge, "The document is larger than `Warnings:MaxDocumentBytes` (`request.body-too-large`).")
            .DocumentsProblem(StatusCodes.Status422UnprocessableEntity, "Not a CAP 1.2 warning the hub takes (`cap.invalid`); every finding points into the document's JSON projection. Or `references` names another sender's message (`warning.reference-foreign`).")
            .WithName("PostWarning")
            .WithSummary("Post an agency's CAP 1.2 warning. Answers 201 with the warning as stored, or 200 when the same document was posted before.")
            .WithDescription("The body is one CAP 1.2 `alert` (UTF-8). Documents in the national profile (severity Red/Orange/Yellow/Blue, certainty VeryLikely) are mapped to OASIS values first, the colour kept as eventCode `warningLevel` (cap/README.md §2). The hub takes Alert, Update and Cancel; Actual and Test; scope Public; about a natural hazard named by the national event type (eventCode `eventType`, 11A–11G) or, without one, by category Met, Geo or Fire. Actual warnings are shown to every organization beside its alerts; test warnings only to the agency and the operator. The sender is the posting organization's own (the first to post as it), an Update or Cancel continues only that sender's warning, and every area names a GB/T 2260 geocode inside the organization's area (the city's for an agency without one).");

        var read = app.MapGroup("/v1/warnings").WithTags("Warnings").RequireScope(Scopes.AlertsRead);
        read.MapGet("/", ListAsync).WithName("ListWarnings")
            .WithSummary("Agencies' warnings the caller may see, newest first, filtered by domain, district (covering or inside it), level, sender, sent time and whether they are still in force.");
        read.MapGet("/{warningId:long}", GetAsync).WithName("GetWarning").WithSummary("One warning, with its CAP document's JSON projection.");
        read.MapGet("/{warningId:long}/cap", CapAsync).WithName("GetWarningCap")
            .WithSummary("The warning's CAP 1.2 document with OASIS values: XML, or its JSON projection with `Accept: application/json`.")
            .Produces(StatusCodes.Status200OK, contentType: CapDocument.MediaType, additionalContentTypes: [CapDocument.JsonMediaType]);
        app.MapGet("/v1/organizations/{organizationId}/devices/{deviceId}/context", DeviceContextAsync)
            .WithTags("Warnings").RequireScope(Scopes.AlertsRead)
            .DocumentsProblem(StatusCodes.Status404NotFound, "No such device in the organization, or it is another organization's (`device.not-found`).")
            .WithName("GetDeviceContext")
            .WithSummary("The agencies' warnings in force that cover a device, and for each of its rules with a context the entry in force and the thresholds it judges against now (rules.md §5b, RULE-015).")
            .WithDescription("Only the device's organization and the operator read it. `warnings` are the actual warnings holding now whose area covers the device and whose type affects the device's domain (cap/warning-types.json), highest colour first; `rules` lists every rule of the profile that takes a context, with the entry in force (absent when the rule's own levels apply) and the thresholds in force per level, in the metric's canonical unit, after site parameters.");
        return app;
    }

    /// <summary>A device's context: the warnings covering it and, per context rule, the entry and thresholds in force.</summary>
    internal sealed record DeviceContextResponse(string OrganizationId, string DeviceId, string Profile, string District, IReadOnlyList<WarningResponse> Warnings, IReadOnlyList<RuleContextResponse> Rules);

    /// <summary>One rule with a context: the entry in force (null: the rule's own levels apply) and the thresholds it judges against now, by level.</summary>
    internal sealed record RuleContextResponse(string RuleId, string Kind, ContextData? Context, IReadOnlyDictionary<string, double> Levels);

    /// <summary>
    /// A warning. <c>active</c>: not cancelled, not replaced by a later message of the same warning, and not expired.
    /// <c>until</c>: when it stops or stopped holding (rules.md §5b), so that a client sees why and when a warning without
    /// <c>expires</c> ends (<c>Warnings:MaxInForce</c>). <c>districts</c> are the GB/T 2260 codes it covers; <c>cap</c> is
    /// its document's JSON projection (one warning only).
    /// </summary>
    internal sealed record WarningResponse(
        long Id, string Sender, string Identifier, DateTimeOffset Sent, string MsgType, string Status, string Event, string Domain,
        string? Level, string Severity, IReadOnlyList<string> Districts, string? Headline, DateTimeOffset? Expires, string? References,
        bool Active, DateTimeOffset? Until, string OrganizationId, DateTimeOffset ReceivedAt, JsonElement? Cap)
    {
        public static WarningResponse From(Warning w, long now, bool withDocument = false) => new(
            w.Id, w.Sender, w.Identifier, Ms(w.Sent), w.MsgType, w.Status, w.Event, w.Domain, w.Level?.ToWire(), w.Severity,
            w.Areas.OrderBy(a => a.Position).Select(a => a.Code).ToList(), w.Headline, w.Expires is { } expires ? Ms(expires) : null, w.References,
            IsActive(w, now), w.Until is { } until ? Ms(until) : null, w.OrganizationId, Ms(w.ReceivedAt),
            withDocument ? JsonDocument.Parse(w.Projection).RootElement.Clone() : null);
    }

    internal sealed record WarningFilter(
        [FromQuery(Name = "domain")] string? Domain,
        [FromQuery(Name = "district")] string? District,
        [FromQuery(Name = "level")] string? Level,
        [FromQuery(Name = "sender")] string? Sender,
        [FromQuery(Name = "active")] bool? Active,
        [FromQuery(Name = "from")] DateTimeOffset? From,
        [FromQuery(Name = "to")] DateTimeOffset? To);

    private static DateTimeOffset Ms(long value) => DateTimeOffset.FromUnixTimeMilliseconds(value);

    private static bool IsActive(Warning w, long now) => !w.Superseded && w.MsgType != "Cancel" && (w.Until is null || w.Until > now);

    /// <summary>
    /// The warnings a caller may see (CAP-010): the operator all; an organization its own agency's, and every actual
    /// warning from a certified agency, since warnings are public by nature. Test and sandbox warnings stay home.
    /// </summary>
    internal static IQueryable<Warning> Visible(HubDb db, Caller caller)
    {
        var warnings = db.Warnings.AsNoTracking();
        if (caller.IsOperator)
        {
            return warnings;
        }
        var organizationId = caller.OrganizationId;
        return warnings.Where(w => w.OrganizationId == organizationId || (w.Status == "Actual" && !w.Sandbox));
    }

    private static async Task<Results<Created<WarningResponse>, Ok<WarningResponse>, ProblemHttpResult>> PostAsync(
        HttpContext context, HubDb db, SpecCatalog spec, TimeProvider time, IngestMetrics metrics, IOptions<WarningOptions> options, IOptions<HubOptions> hub,
        IOptions<AlertOptions> alerts)
    {
        var caller = context.Caller();
        var limit = options.Value.MaxDocumentBytes;
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var mediaType) || !MediaTypes.Contains(mediaType.MediaType.Value, StringComparer.OrdinalIgnoreCase))
        {
            return Discard(ErrorCodes.UnsupportedMediaType, $"Send CAP 1.2 XML as {string.Join(", ", MediaTypes)}.");
        }
        if (context.Request.ContentLength > limit)
        {
            return Discard(ErrorCodes.BodyTooLarge, $"The document has {context.Request.ContentLength} bytes; the limit is {limit}.");
        }
        var buffer = new byte[limit + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await context.Request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted)) > 0)
        {
            length += read;
        }
        if (length > limit)
        {
            return Discard(ErrorCodes.BodyTooLarge, $"The document is larger than the limit of {limit} bytes.");
        }
        var body = buffer.AsMemory(0, length);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();

        // CAP-001 … CAP-004: valid CAP after the national mapping; CAP-008: a warning the hub takes.
        var verdict = CapXml.Read(body, spec);
        // Every finding at once: what makes it invalid CAP, and what the hub would not take anyway.
        List<Finding> findings = [.. verdict.Findings, .. verdict.Projection is { } judged ? CapXml.Admit(judged) : [], .. KeyLengths(verdict)];
        findings = [.. findings.DistinctBy(f => (f.Code, f.Pointer))];
        if (findings.Count > 0)
        {
            return await QuarantineAsync(verdict.Document is null ? ErrorCodes.MalformedBody : ErrorCodes.CapInvalid, $"{findings.Count} problem(s) in the document.", findings);
        }

        var projection = verdict.Projection!;
        var json = projection.ToJsonString();
        var (sender, identifier) = ((string)projection["sender"]!, (string)projection["identifier"]!);
        // The checks below and the write see one state: concurrent posts of one sender or one thread take turns (SQLite's
        // write lock; the outbox lock on PostgreSQL), so none decides on a thread another is changing.
        await using var transaction = await db.Database.BeginTransactionAsync(context.RequestAborted);
        await OutboxOrder.HoldAsync(db, context.RequestAborted);
        // CAP-009: the sender is the agency that posts. A sender belongs to the organization that first posted as it, so
        // no client with warnings:write speaks for another agency, nor continues or cancels its warnings.
        if (await db.Warnings.AnyAsync(w => w.Sender == sender && w.OrganizationId != caller.OrganizationId, context.RequestAborted))
        {
            return await QuarantineAsync(ErrorCodes.WarningSenderForeign, $"Sender '{sender}' is another organization's.",
                [new Finding(ErrorCodes.WarningSenderForeign, "/sender", $"Sender '{sender}' is another organization's.")]);
        }
        if (ForeignReferences(projection, sender) is { Count: > 0 } foreign)
        {
            return await QuarantineAsync(ErrorCodes.WarningReferenceForeign, $"{foreign.Count} reference(s) name another sender than '{sender}'.", foreign);
        }
        // RULE-015: a warning changes how devices are watched where it covers them, so an agency warns for its own area only.
        if (OutsideArea(projection, caller.AreaCode ?? alerts.Value.AreaCode) is { Count: > 0 } outside)
        {
            return await QuarantineAsync(ErrorCodes.WarningAreaOutside,
                $"{outside.Count} area(s) lie outside the agency's area {caller.AreaCode ?? alerts.Value.AreaCode}.", outside);
        }
        // CAP-009: one document per sender and identifier; the same one again is the same warning.
        if (await db.Warnings.Include(w => w.Areas).AsNoTracking().FirstOrDefaultAsync(w => w.Sender == sender && w.Identifier == identifier, context.RequestAborted) is { } existing)
        {
            if (existing.Projection == json && (existing.OrganizationId == caller.OrganizationId || caller.IsOperator))
            {
                return TypedResults.Ok(WarningResponse.From(existing, now));
            }
            return await QuarantineAsync(ErrorCodes.WarningExists, $"Sender '{sender}' already used identifier '{identifier}' for another document.",
                [new Finding(ErrorCodes.WarningExists, "/identifier", $"Sender '{sender}' already used identifier '{identifier}' for another document.")]);
        }

        // The warning's first message names its thread (cap/README.md §1.4). A message may reference only the one it
        // follows (a Cancel naming the Update, say), so the thread is that of whichever referenced message the hub holds,
        // and only without one the first message references names.
        var references = References(projection).ToList();
        var referenced = references.Select(r => r.Identifier).ToList();
        var known = referenced.Count == 0 ? null : await db.Warnings.AsNoTracking()
            .Where(w => w.OrganizationId == caller.OrganizationId && w.Sender == sender && referenced.Contains(w.Identifier))
            .OrderBy(w => w.Sent)
            .Select(w => new { w.ThreadSender, w.ThreadIdentifier })
            .FirstOrDefaultAsync(context.RequestAborted);
        var threadKey = known is not null ? (known.ThreadSender, known.ThreadIdentifier)
            : references.Count > 0 ? (references[0].Sender, references[0].Identifier)
            : (sender, identifier);
        var warning = Describe(verdict, projection, json, threadKey, caller, now);
        // The thread is the organization's own: its sender is (checked above), and so are the messages it continues.
        // Messages that came before this one and reference it alone (a Cancel naming an Update whose first POST failed
        // and was retried after it) were threaded under this message; they belong to its warning, so they move into its
        // thread now, in the same transaction, and the whole thread is judged again.
        var thread = await db.Warnings
            .Where(w => w.OrganizationId == caller.OrganizationId
                && ((w.ThreadSender == warning.ThreadSender && w.ThreadIdentifier == warning.ThreadIdentifier) || (w.ThreadSender == sender && w.ThreadIdentifier == identifier)))
            .ToListAsync(context.RequestAborted);
        foreach (var held in thread)
        {
            (held.ThreadSender, held.ThreadIdentifier) = (warning.ThreadSender, warning.ThreadIdentifier);
        }
        Rejudge([.. thread, warning], options.Value.MaxInForce);
        db.Warnings.Add(warning);
        db.Outbox.Add(new OutboxEvent
        {
            Type = EventTypes.Warning,
            Source = EventTypes.Source(hub.Value.Id, "warnings"),
            Subject = $"{sender}/{identifier}",
            Time = now,
            OrganizationId = caller.OrganizationId,
            // Test warnings, like a sandbox agency's, stay with the agency (and the operator); actual ones are public.
            Sandbox = caller.IsSandbox || warning.Status != "Actual",
            Domain = warning.Domain,
            District = warning.Areas.FirstOrDefault()?.Code,
            Level = warning.Level?.ToWire(),
            Data = System.Text.Encoding.UTF8.GetBytes(json),
        });
        try
        {
            await db.SaveChangesAsync(context.RequestAborted);
            await transaction.CommitAsync(context.RequestAborted);
        }
        catch (DbUpdateException exception) when (IsUniqueViolation(exception))
        {
            // Another request took the same identifier between the look-up and the write. The refusal is kept like any
            // other, written afresh: the failed warning and its event leave the context, and the transaction is undone.
            await transaction.RollbackAsync(context.RequestAborted);
            db.ChangeTracker.Clear();
            return await QuarantineAsync(ErrorCodes.WarningExists, $"Sender '{sender}' already used identifier '{identifier}'.",
                [new Finding(ErrorCodes.WarningExists, "/identifier", $"Sender '{sender}' already used identifier '{identifier}'.")]);
        }
        return TypedResults.Created($"/v1/warnings/{warning.Id}", WarningResponse.From(warning, now));

        // DESIGN §7.2: a refused document is kept with its reasons, and counted.
        async Task<ProblemHttpResult> QuarantineAsync(string code, string detail, List<Finding> reasons)
        {
            var payload = KeptPayload.Of(body.Span);
            var entry = new QuarantineEntry
            {
                OrganizationId = caller.OrganizationId,
                AdapterId = caller.ClientId,
                ReceivedAt = now,
                MessageId = Truncate(verdict.Key.Identifier),
                Errors = JsonSerializer.Serialize(reasons, IngestionJsonContext.Default.ListFinding),
                Payload = payload.Text,
                PayloadBytes = payload.Bytes,
                PayloadTruncated = payload.Truncated,
            };
            db.Quarantine.Add(entry);
            await db.SaveChangesAsync(context.RequestAborted);
            if (db.Database.CurrentTransaction is { } open)
            {
                await open.CommitAsync(context.RequestAborted);
            }
            metrics.Discarded(code, Transport);
            return ProblemResults.Problem(context, code, $"{detail} It is kept in the quarantine as entry {entry.Id}.", reasons);
        }

        ProblemHttpResult Discard(string code, string detail)
        {
            metrics.Discarded(code, Transport);
            return ProblemResults.Problem(context, code, detail);
        }
    }

    /// <summary>Only the (sender, identifier) key's violation is a warning that exists; any other write failure is the hub's own.</summary>
    private static bool IsUniqueViolation(DbUpdateException exception) => exception.InnerException switch
    {
        Npgsql.PostgresException postgres => postgres.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation,
        Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteExtendedErrorCode == 2067, // SQLITE_CONSTRAINT_UNIQUE
        _ => false,
    };

    /// <summary>
    /// Each message of a warning holds until the next one by <c>sent</c> replaces or cancels it, or until it ends by itself:
    /// its <c>expires</c>, or without one <paramref name="maxInForce"/> from when it was sent or reached the hub (whichever
    /// is later), so that a late copy of an old warning errs on the side of the stricter levels. Of two messages sent at
    /// once, the one received later holds. A message that arrives after a later one of its warning is kept, but does not
    /// replace it: it held until that one was sent.
    /// </summary>
    private static void Rejudge(List<Warning> thread, TimeSpan maxInForce)
    {
        // The message being posted has no id yet and came last.
        var ordered = thread.OrderBy(w => w.Sent).ThenBy(w => w.Id == 0 ? long.MaxValue : w.Id).ToList();
        for (var i = 0; i < ordered.Count; i++)
        {
            var message = ordered[i];
            var next = i + 1 < ordered.Count ? ordered[i + 1].Sent : long.MaxValue;
            message.Superseded = next != long.MaxValue;
            message.Until = Math.Min(message.Expires ?? Math.Max(message.Sent, message.ReceivedAt) + (long)maxInForce.TotalMilliseconds, next);
        }
    }

    /// <summary>The stored warning: what it warns of, where, how severe, until when, and which warning it continues.</summary>
    private static Warning Describe(CapVerdict verdict, JsonObject projection, string json, (string Sender, string Identifier) thread, Caller caller, long now)
    {
        var infos = projection["info"]!.AsArray().Select(i => i!.AsObject()).ToList();
        var first = infos[0];
        var expires = infos.Select(i => (string?)i["expires"]).ToList();
        var areas = infos
            .SelectMany(i => i["area"]?.AsArray() ?? [])
            .SelectMany(a => a!["geocode"]?.AsArray() ?? [])
            .Where(g => (string?)g!["valueName"] == "GB/T 2260")
            .SelectMany(g => ((string?)g!["value"] ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Where(AreaCatalog.IsWellFormed)
            .Distinct(StringComparer.Ordinal)
            .Select((code, i) => new WarningArea { Code = code, Position = i })
            .ToList();
        return new Warning
        {
            Sender = (string)projection["sender"]!,
            Identifier = (string)projection["identifier"]!,
            Sent = Time((string)projection["sent"]!),
            MsgType = (string)projection["msgType"]!,
            Status = (string)projection["status"]!,
            Event = (string)first["event"]!,
            Domain = NationalCapProfile.Domain(first)!,
            Level = WireNames.TryParse<AlertLevel>(NationalCapProfile.Level(first), out var level) ? level : null,
            Severity = (string)first["severity"]!,
            Headline = (string?)first["headline"],
            Expires = expires.All(e => e is not null) ? expires.Max(e => Time(e!)) : null,
            References = (string?)projection["references"],
            ThreadSender = thread.Sender,
            ThreadIdentifier = thread.Identifier,
            OrganizationId = caller.OrganizationId,
            AdapterId = caller.ClientId,
            Sandbox = caller.IsSandbox,
            ReceivedAt = now,
            Document = verdict.Document!.Declaration + Environment.NewLine + verdict.Document.Root,
            Projection = json,
            Areas = areas,
        };
    }

    private static long Time(string cap) => DateTimeOffset.ParseExact(cap, "yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    /// <summary>Bounds on what the hub stores; CAP itself sets none.</summary>
    private static IEnumerable<Finding> KeyLengths(CapVerdict verdict)
    {
        var (sender, identifier) = verdict.Key;
        if (sender?.Length > Warning.MaxKeyLength)
        {
            yield return new Finding(ErrorCodes.InvalidValue, "/sender", $"The hub keeps senders of up to {Warning.MaxKeyLength} characters.");
        }
        if (identifier?.Length > Warning.MaxKeyLength)
        {
            yield return new Finding(ErrorCodes.InvalidValue, "/identifier", $"The hub keeps identifiers of up to {Warning.MaxKeyLength} characters.");
        }
    }

    /// <summary>The triples of <c>references</c> that name another sender than the document's (CAP 1.2: "sender,identifier,sent", space-separated).</summary>
    private static List<Finding> ForeignReferences(JsonObject projection, string sender) =>
        [.. References(projection)
            .Where(r => r.Sender != sender)
            .Select(r => new Finding(ErrorCodes.WarningReferenceForeign, "/references", $"'{r.Triple}' is not a message of sender '{sender}'."))];

    /// <summary>The messages <c>references</c> names (CAP 1.2: "sender,identifier,sent", space-separated).</summary>
    private static IEnumerable<(string Triple, string Sender, string Identifier)> References(JsonObject projection) =>
        ((string?)projection["references"] ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(triple => (triple, triple.Split(',')))
            .Select(r => (r.triple, r.Item2[0], r.Item2.Length > 1 ? r.Item2[1] : ""));

    /// <summary>
    /// The areas that do not lie inside the agency's area: every area must name a GB/T 2260 geocode, each inside the
    /// agency's area by prefix (a district's agency 370212 may name 370212 only; the city's 370200 any district of it).
    /// Polygons and circles only narrow an area (<see cref="CoveredArea"/>), so they need no check of their own.
    /// </summary>
    private static List<Finding> OutsideArea(JsonObject projection, string agencyArea)
    {
        var prefix = AreaCodes.Prefix(agencyArea);
        var findings = new List<Finding>();
        var infos = projection["info"]?.AsArray() ?? [];
        for (var i = 0; i < infos.Count; i++)
        {
            var areas = infos[i]!["area"]?.AsArray() ?? [];
            for (var j = 0; j < areas.Count; j++)
            {
                var codes = CoveredArea.Of(areas[j]!.AsObject()).Geocodes;
                if (codes.Length == 0)
                {
                    findings.Add(new Finding(ErrorCodes.WarningAreaOutside, $"/info/{i}/area/{j}", "The area names no GB/T 2260 geocode: the hub cannot tell that it lies inside the agency's area."));
                }
                findings.AddRange(codes.Where(c => !c.StartsWith(prefix, StringComparison.Ordinal))
                    .Select(c => new Finding(ErrorCodes.WarningAreaOutside, $"/info/{i}/area/{j}", $"Geocode {c} lies outside the agency's area {agencyArea}.")));
            }
        }
        return findings;
    }

    private static string? Truncate(string? value) => value is { Length: > Warning.MaxKeyLength } ? value[..Warning.MaxKeyLength] : value;

    private static async Task<Results<Ok<Page<WarningResponse>>, ProblemHttpResult>> ListAsync(
        [AsParameters] WarningFilter filter, HubDb db, TimeProvider time, HttpContext context, int? limit = null, string? cursor = null)
    {
        var check = new RequestValidator();
        var level = check.Parameter<AlertLevel>(filter.Level, "level", "Use blue, yellow, orange or red.");
        check.DistrictParameter(filter.District);
        if (check.Failed)
        {
            return check.ParameterProblem(context);
        }
        if (!Cursors.TryDecodeId(cursor, long.MaxValue, out var before))
        {
            return ProblemResults.Problem(context, ErrorCodes.InvalidCursor);
        }
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var warnings = Visible(db, context.Caller()).Include(w => w.Areas).Where(w => w.Id < before);
        if (filter.Domain is not null) { warnings = warnings.Where(w => w.Domain == filter.Domain); }
        if (level is { } wanted) { warnings = warnings.Where(w => w.Level == wanted); }
        if (filter.Sender is not null) { warnings = warnings.Where(w => w.Sender == filter.Sender); }
        if (filter.District is { } district)
        {
            // A warning for the city covers its districts; one for a district lies inside its city.
            var prefix = AreaCodes.Prefix(district);
            string[] covering = [district, district[..4] + "00", district[..2] + "0000"];
            warnings = warnings.Where(w => w.Areas.Any(a => a.Code.StartsWith(prefix) || covering.Contains(a.Code)));
        }
        if (filter.Active is { } active)
        {
            warnings = active
                ? warnings.Where(w => !w.Superseded && w.MsgType != "Cancel" && (w.Until == null || w.Until > now))
                : warnings.Where(w => w.Superseded || w.MsgType == "Cancel" || (w.Until != null && w.Until <= now));
        }
        if (filter.From is { } from) { var ms = from.ToUnixTimeMilliseconds(); warnings = warnings.Where(w => w.Sent >= ms); }
        if (filter.To is { } to) { var ms = to.ToUnixTimeMilliseconds(); warnings = warnings.Where(w => w.Sent <= ms); }

        var take = Cursors.Limit(limit);
        var page = await warnings.OrderByDescending(w => w.Id).Take(take + 1).ToListAsync(context.RequestAborted);
        var next = page.Count > take ? Cursors.Encode(page[take - 1].Id) : null;
        return TypedResults.Ok(new Page<WarningResponse>(page.Take(take).Select(w => WarningResponse.From(w, now)).ToList(), next));
    }

    private static async Task<Results<Ok<WarningResponse>, ProblemHttpResult>> GetAsync(long warningId, HubDb db, TimeProvider time, HttpContext context) =>
        await Visible(db, context.Caller()).Include(w => w.Areas).FirstOrDefaultAsync(w => w.Id == warningId, context.RequestAborted) is { } warning
            ? TypedResults.Ok(WarningResponse.From(warning, time.GetUtcNow().ToUnixTimeMilliseconds(), withDocument: true))
            : NotFound(context, warningId);

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> CapAsync(long warningId, HubDb db, HttpContext context)
    {
        if (await Visible(db, context.Caller()).FirstOrDefaultAsync(w => w.Id == warningId, context.RequestAborted) is not { } warning)
        {
            return NotFound(context, warningId);
        }
        return CapDocument.WantsJson(context.Request)
            ? TypedResults.Content(warning.Projection, CapDocument.JsonMediaType)
            : TypedResults.Content(warning.Document, CapDocument.MediaType);
    }

    /// <summary>
    /// RULE-015, worked out from the database on the node that serves the request (the engine's precomputed contexts
    /// live on the leader only). A device is read by its organization and the operator: the context says how another
    /// organization's devices are watched, which is theirs to know (DESIGN §7.5).
    /// </summary>
    private static async Task<Results<Ok<DeviceContextResponse>, ProblemHttpResult>> DeviceContextAsync(
        string organizationId, string deviceId, HubDb db, SpecCatalog spec, TimeProvider time, HttpContext context)
    {
        var caller = context.Caller();
        var device = caller.IsOperator || caller.OrganizationId == organizationId
            ? await db.Devices.AsNoTracking().FirstOrDefaultAsync(d => d.OrganizationId == organizationId && d.DeviceId == deviceId, context.RequestAborted)
            : null;
        if (device is null || !spec.Profiles.TryGetValue(device.ProfileId, out var profile))
        {
            return ProblemResults.Problem(context, ErrorCodes.DeviceNotFound, $"No device '{deviceId}' in organization '{organizationId}' that you may read.");
        }
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var covering = (await CoveringWarning.LoadAsync(db, spec.WarningTypes, now, context.RequestAborted))
            .Where(w => w.HoldsAt(now) && w.Affects(profile.Domain, device.District, device.Lon, device.Lat)).ToList();
        var ids = covering.Select(w => w.Id).ToList();
        var stored = await db.Warnings.AsNoTracking().Include(w => w.Areas).Where(w => ids.Contains(w.Id)).ToDictionaryAsync(w => w.Id, context.RequestAborted);
        var site = await SiteParameters.LoadAsync(db, [device.ProfileId], context.RequestAborted);
        var parameters = profile.Parameters(site.For(device.OrganizationId, device.ProfileId, device.District, device.Group, device.Parameters));
        var rules = new List<RuleContextResponse>();
        foreach (var rule in profile.Definition.Rules.Where(r => r.Context.Count > 0))
        {
            var own = rule switch { ThresholdRule t => t.Levels, RateRule r => r.Levels, _ => null };
            if (own is null)
            {
                continue;
            }
            var inForceEntry = CoveringWarning.At(CoveringWarning.Candidates(rule, covering), now);
            var (thresholds, _) = Levels.Resolve(inForceEntry?.Entry.Levels ?? own, parameters);
            var levels = new Dictionary<string, double>(StringComparer.Ordinal);
            for (var level = 1; level <= 4; level++)
            {
                if (thresholds[level] is { } threshold)
                {
                    levels[((AlertLevel)level).ToWire()] = threshold;
                }
            }
            rules.Add(new RuleContextResponse(rule.Id, rule.Kind, ContextData.Of(inForceEntry), levels));
        }
        return TypedResults.Ok(new DeviceContextResponse(device.OrganizationId, device.DeviceId, device.ProfileId, device.District,
            [.. covering.Select(w => WarningResponse.From(stored[w.Id], now))], rules));
    }

    private static ProblemHttpResult NotFound(HttpContext context, long warningId) =>
        ProblemResults.Problem(context, ErrorCodes.WarningNotFound, $"No warning {warningId} that you may see.");
}
