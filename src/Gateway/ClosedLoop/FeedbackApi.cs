using System.ComponentModel;
using System.Security.Cryptography;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.OpenApi;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>
/// Structured feedback (LOOP-007): the cause catalogue, photos and PDFs uploaded to an alert before the resolve that
/// names them, the feedback of every resolution, and the false alarms per device and per rule. Uploads go first, one
/// file per request, so that a slow phone connection retries one photo and not the whole resolve; the resolve names
/// the ids it got back. Everything here is read by those who may read the alert, and nobody else learns it exists; an
/// upload no resolve names yet is its organization's and the operator's only, since it may be a photo sent by mistake.
/// </summary>
internal static class FeedbackApi
{
    /// <summary>What a multipart envelope around one file may add to it: boundaries, headers, a file name.</summary>
    private const int EnvelopeBytes = 16 * 1024;

    public static IEndpointRouteBuilder MapFeedback(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/feedback/causes", Causes).WithTags(UnitsApi.Tag).RequireScope(Scopes.AlertsRead).WithName("ListFeedbackCauses")
            .WithSummary("The cause categories a resolution of an alert of a domain may name (feedback/causes.json): the domain's own, then the common ones.");

        var alert = app.MapGroup("/v1/alerts/{alertId:long}").WithTags(UnitsApi.Tag).RequireScope(Scopes.AlertsRead);
        alert.MapPost("/attachments", UploadAsync).WithName("UploadAlertAttachment").RequireRateLimiting(HubRateLimits.UploadPolicy)
            .WithMetadata(new FileUploadBody("file", "A JPEG or PNG photo or a PDF, judged by its content; its declared type and name's extension must agree with it."))
            .WithSummary("Upload a photo (JPEG, PNG) or a PDF for a resolution's feedback; the resolve names the id returned.")
            .WithDescription("One file per request, in the `file` part of a multipart/form-data body, of at most `Feedback:MaxAttachmentBytes` (5 MiB by default). The hub judges the type by the content's first bytes: a declared type or file extension that says otherwise is refused (`attachment.type-mismatch`), and anything but JPEG, PNG and PDF too (`attachment.unsupported-type`). Taken by the alert's handlers (the operator, the device's owner, its units); each organization holds at most `Feedback:MaxAttachments` (5) uploads on an alert that no feedback names yet, and at most `Feedback:MaxUnusedBytesPerOrganization` (256 MiB) of such uploads over all alerts. Each client uploads at most `Feedback:UploadsPerMinute` (30) files a minute; more get 429 with Retry-After.")
            .DocumentsProblem(StatusCodes.Status409Conflict, "The organization holds as many unused uploads on the alert as it may (`attachment.limit-reached`), or as many bytes of unused uploads as it may (`attachment.quota-reached`), or the alert is closed (`alert.invalid-transition`).")
            .DocumentsProblem(StatusCodes.Status413PayloadTooLarge, "The file is larger than the hub takes (`attachment.too-large`).")
            .DocumentsProblem(StatusCodes.Status415UnsupportedMediaType, "The body is not multipart/form-data (`request.unsupported-media-type`), the file is not a JPEG, PNG or PDF (`attachment.unsupported-type`), or its declared type or extension is not what its content is (`attachment.type-mismatch`).");
        alert.MapGet("/attachments", ListAsync).WithName("ListAlertAttachments")
            .WithSummary("The alert's attachments, oldest first, each with the feedback that names it (none while unused). An unused upload is listed to its own organization and the operator only.");
        // Deleting changes what the alert's handlers hold: a client that only reads alerts may not.
        alert.MapDelete("/attachments/{attachmentId:long}", DeleteAsync).WithName("DeleteAlertAttachment").RequireScope(Scopes.AlertsManage)
            .WithSummary("Delete an upload that no feedback names yet: a photo sent by mistake. Its organization's people and the operator may; one a resolve named is part of the alert's record.")
            .WithDescription("Needs the `alerts:manage` scope. Uploads no feedback names are deleted by the hub itself: an organization's when it resolves the alert or its unit's share without naming them, all of them when the alert is closed, and any once `Feedback:UnusedAttachmentRetention` (7 days by default) has passed since they were uploaded.")
            .DocumentsProblem(StatusCodes.Status404NotFound, "No such attachment on an alert the caller may read, or it is another organization's unused upload (`attachment.not-found`, `alert.not-found`).")
            .DocumentsProblem(StatusCodes.Status409Conflict, "A feedback names the attachment (`attachment.in-use`).");
        alert.MapGet("/attachments/{attachmentId:long}", DownloadAsync).WithName("GetAlertAttachment")
            .WithSummary("The bytes of one attachment, with the type judged from its content.")
            // A body type, or the document would name no content at all: the bytes, as the type judged from them.
            .Produces<Stream>(StatusCodes.Status200OK, AttachmentTypes.Jpeg, AttachmentTypes.Png, AttachmentTypes.Pdf)
            .DocumentsProblem(StatusCodes.Status404NotFound, "No such attachment on an alert the caller may read (`attachment.not-found`, `alert.not-found`).");
        alert.MapGet("/feedback", FeedbackAsync).WithName("ListAlertFeedback")
            .WithSummary("The feedback of the alert's resolutions, oldest first: cause, measures, false alarm, attachments, who and when.");
        return app;
    }

    internal sealed record CauseResponse(
        [property: Description("The stable id a resolve names as `cause`.")] string Id,
        string Name,
        string NameZh,
        [property: Description("A cause of every domain, rather than of this one.")] bool Common);

    internal sealed record AttachmentResponse(
        long Id, long AlertId,
        [property: Description("The organization that uploaded it.")] string OrganizationId,
        string Name,
        [property: Description("image/jpeg, image/png or application/pdf, judged from the content.")] string MediaType,
        long Size,
        [property: Description("SHA-256 of the bytes, lower-case hex.")] string Sha256,
        DateTimeOffset UploadedAt,
        ActorRef? UploadedBy,
        [property: Description("The feedback that names it; absent while no resolve has.")] long? FeedbackId);

    internal sealed record FeedbackResponse(
        long Id, long AlertId,
        [property: Description("The unit whose share was resolved, or the organization that resolved the alert.")] string OrganizationId,
        [property: Description("A cause of feedback/causes.json; absent when none was named.")] string? Cause,
        string? CauseName,
        string? CauseNameZh,
        string Measures,
        bool FalseAlarm,
        DateTimeOffset At,
        ActorRef? By,
        IReadOnlyList<AttachmentResponse> Attachments);

    private static Results<Ok<CauseResponse[]>, ProblemHttpResult> Causes(string? domain, FeedbackCauses causes, HttpContext context)
    {
        if (domain is null || !causes.Domains.Contains(domain))
        {
            return new RequestValidator().Add(ErrorCodes.InvalidParameter, "/domain", $"Name a monitoring domain: {string.Join(", ", causes.Domains.Order(StringComparer.Ordinal))}.").ParameterProblem(context);
        }
        return TypedResults.Ok(causes.For(domain).Select(c => new CauseResponse(c.Id, c.Name, c.NameZh, c.Common)).ToArray());
    }

    private static async Task<Results<Created<AttachmentResponse>, ProblemHttpResult>> UploadAsync(
        long alertId, HttpContext context, HubDb db, TimeProvider time, IOptions<FeedbackOptions> options)
    {
        var limits = options.Value;
        var caller = context.Caller();
        var alert = await (await AlertsApi.VisibleAsync(context, db, time)).FirstOrDefaultAsync(a => a.Id == alertId, context.RequestAborted);
        if (alert is null)
        {
            return AlertNotFound(context, alertId);
        }
        if (!await AlertsApi.HandlesAsync(caller, alert, db, context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.InsufficientScope, "Only the operator, the device's owner and the alert's units give feedback on it.", status: StatusCodes.Status403Forbidden);
        }
        if (alert.State == AlertState.Closed)
        {
            return ProblemResults.Problem(context, ErrorCodes.AlertInvalidTransition, "The alert is closed: its record is archived.");
        }
        // Before reading the body, so that a full organization does not send it for nothing; checked again at the write.
        if (await db.AlertAttachments.CountAsync(a => a.AlertId == alertId && a.OrganizationId == caller.OrganizationId && a.FeedbackId == null, context.RequestAborted) >= limits.MaxAttachments)
        {
            return LimitReached(context, limits, caller.OrganizationId, alertId);
        }
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            return ProblemResults.Problem(context, ErrorCodes.UnsupportedMediaType, "Send the file as multipart/form-data, in a part named 'file'.");
        }
        if (context.Request.ContentLength > limits.MaxAttachmentBytes + EnvelopeBytes)
        {
            return TooLarge(context, limits);
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limits.MaxAttachmentBytes + EnvelopeBytes;
        }

        var reader = new MultipartReader(boundary, context.Request.Body) { HeadersLengthLimit = EnvelopeBytes / 2 };
        (byte[] Bytes, string Name, string? Declared)? file = null;
        try
        {
            while (await reader.ReadNextSectionAsync(context.RequestAborted) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition()
                    || !string.Equals(HeaderUtilities.RemoveQuotes(disposition.Name).Value, "file", StringComparison.Ordinal))
                {
                    continue;
                }
                if (await ReadBoundedAsync(section.Body, limits.MaxAttachmentBytes, context.RequestAborted) is not { } bytes)
                {
                    return TooLarge(context, limits);
                }
                var name = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                file = (bytes, name ?? "", section.ContentType);
                break;
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(context, limits);
        }
        catch (InvalidDataException e)
        {
            return new RequestValidator().Add(ErrorCodes.InvalidValue, "/file", $"The multipart body is malformed: {e.Message}").Problem(context);
        }
        if (file is not { } upload)
        {
            return new RequestValidator().Add(ErrorCodes.MissingField, "/file", "Send the file in a part named 'file' (Content-Disposition: form-data; name=\"file\"; filename=\"…\").").Problem(context);
        }

        var judged = AttachmentTypes.Sniff(upload.Bytes);
        if (judged is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.AttachmentUnsupportedType, "The file is neither a JPEG or PNG photo nor a PDF, judged by its content.");
        }
        if (AttachmentTypes.Disagrees(judged, upload.Declared, upload.Name) is { } claim)
        {
            return ProblemResults.Problem(context, ErrorCodes.AttachmentTypeMismatch, $"The file's content is {judged}, but {claim}.");
        }
        var attachment = new AlertAttachment
        {
            AlertId = alertId, OrganizationId = caller.OrganizationId, Name = AttachmentTypes.CleanName(upload.Name, judged), MediaType = judged,
            Size = upload.Bytes.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(upload.Bytes)),
            UploadedAt = time.GetUtcNow().ToUnixTimeMilliseconds(), UploadedBy = caller.ClientId,
            Content = new AttachmentContent { Bytes = upload.Bytes },
        };
        // The bounds again, where parallel uploads cannot all pass them (a phone app retrying, two nodes): an
        // organization's uploads take turns from the count to the commit, under SQLite's write lock or, on PostgreSQL,
        // a lock of the organization's own.
        await using (var transaction = await db.Database.BeginTransactionAsync(context.RequestAborted))
        {
            if (db.Database.IsNpgsql())
            {
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({"attachments:" + caller.OrganizationId}, 0))", context.RequestAborted);
            }
            var unused = db.AlertAttachments.Where(a => a.OrganizationId == caller.OrganizationId && a.FeedbackId == null);
            if (await unused.CountAsync(a => a.AlertId == alertId, context.RequestAborted) >= limits.MaxAttachments)
            {
                return LimitReached(context, limits, caller.OrganizationId, alertId);
            }
            var held = await unused.SumAsync(a => a.Size, context.RequestAborted);
            if (held + attachment.Size > limits.MaxUnusedBytesPerOrganization)
            {
                return ProblemResults.Problem(context, ErrorCodes.AttachmentQuotaReached,
                    $"'{caller.OrganizationId}' holds {held} bytes of uploads that no feedback names yet; with this one it would pass its {limits.MaxUnusedBytesPerOrganization}. Resolve with them, or delete those sent by mistake.");
            }
            db.AlertAttachments.Add(attachment);
            await db.SaveChangesAsync(context.RequestAborted);
            await transaction.CommitAsync(context.RequestAborted);
        }
        var names = await ActorNames.LookupAsync(db, [attachment.UploadedBy], context.RequestAborted);
        return TypedResults.Created($"/v1/alerts/{alertId}/attachments/{attachment.Id}", From(attachment, names));
    }

    private static async Task<Results<Ok<AttachmentResponse[]>, ProblemHttpResult>> ListAsync(long alertId, HubDb db, TimeProvider time, HttpContext context)
    {
        if (!await (await AlertsApi.VisibleAsync(context, db, time)).AnyAsync(a => a.Id == alertId, context.RequestAborted))
        {
            return AlertNotFound(context, alertId);
        }
        var rows = await Readable(db, context.Caller(), alertId).OrderBy(a => a.Id).ToListAsync(context.RequestAborted);
        var names = await ActorNames.LookupAsync(db, rows.Select(r => r.UploadedBy), context.RequestAborted);
        return TypedResults.Ok(rows.Select(r => From(r, names)).ToArray());
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> DownloadAsync(long alertId, long attachmentId, HubDb db, TimeProvider time, HttpContext context)
    {
        if (!await (await AlertsApi.VisibleAsync(context, db, time)).AnyAsync(a => a.Id == alertId, context.RequestAborted))
        {
            return AlertNotFound(context, alertId);
        }
        var found = await Readable(db, context.Caller(), alertId).Where(a => a.Id == attachmentId)
            .Select(a => new { a.Name, a.MediaType, a.Content!.Bytes }).FirstOrDefaultAsync(context.RequestAborted);
        if (found is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.AttachmentNotFound, $"Alert {alertId} has no attachment {attachmentId}.");
        }
        // Served as what the content is, never sniffed again by the browser, and saved rather than shown inline: a PDF
        // opened inside the hub's origin could run script.
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.File(found.Bytes, found.MediaType, found.Name);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(long alertId, long attachmentId, HubDb db, TimeProvider time, HttpContext context)
    {
        if (!await (await AlertsApi.VisibleAsync(context, db, time)).AnyAsync(a => a.Id == alertId, context.RequestAborted))
        {
            return AlertNotFound(context, alertId);
        }
        var found = await Readable(db, context.Caller(), alertId).Where(a => a.Id == attachmentId).Select(a => new { a.FeedbackId }).FirstOrDefaultAsync(context.RequestAborted);
        if (found is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.AttachmentNotFound, $"Alert {alertId} has no attachment {attachmentId}.");
        }
        // Only while unused, checked by the delete itself: a resolve that names it between the read and here keeps it.
        if (found.FeedbackId is not null
            || await db.AlertAttachments.Where(a => a.Id == attachmentId && a.AlertId == alertId && a.FeedbackId == null).ExecuteDeleteAsync(context.RequestAborted) == 0)
        {
            return ProblemResults.Problem(context, ErrorCodes.AttachmentInUse, $"A feedback of alert {alertId} names attachment {attachmentId}: it is part of the alert's record.");
        }
        return TypedResults.NoContent();
    }

    /// <summary>
    /// The alert's attachments the caller may read: those a feedback names, and the unused uploads of its own
    /// organization (all of them for the operator). The alert's visibility is checked apart.
    /// </summary>
    private static IQueryable<AlertAttachment> Readable(HubDb db, Caller caller, long alertId)
    {
        var attachments = db.AlertAttachments.AsNoTracking().Where(a => a.AlertId == alertId);
        var organizationId = caller.OrganizationId;
        return caller.IsOperator ? attachments : attachments.Where(a => a.FeedbackId != null || a.OrganizationId == organizationId);
    }

    private static async Task<Results<Ok<FeedbackResponse[]>, ProblemHttpResult>> FeedbackAsync(long alertId, HubDb db, TimeProvider time, FeedbackCauses causes, HttpContext context)
    {
        var alert = await (await AlertsApi.VisibleAsync(context, db, time)).Where(a => a.Id == alertId).Select(a => new { a.Domain }).FirstOrDefaultAsync(context.RequestAborted);
        if (alert is null)
        {
            return AlertNotFound(context, alertId);
        }
        return TypedResults.Ok(await LoadAsync(db, causes, alertId, alert.Domain, context.RequestAborted));
    }

    /// <summary>The feedback of an alert's resolutions, oldest first, with the attachments each names; the alert's visibility is checked apart.</summary>
    internal static async Task<FeedbackResponse[]> LoadAsync(HubDb db, FeedbackCauses causes, long alertId, string domain, CancellationToken cancellationToken)
    {
        var feedback = await db.AlertFeedback.AsNoTracking().Where(f => f.AlertId == alertId).OrderBy(f => f.Id).ToListAsync(cancellationToken);
        var attachments = (await db.AlertAttachments.AsNoTracking().Where(a => a.AlertId == alertId && a.FeedbackId != null).OrderBy(a => a.Id).ToListAsync(cancellationToken))
            .ToLookup(a => a.FeedbackId!.Value);
        var names = await ActorNames.LookupAsync(db, feedback.Select(f => f.By).Concat(attachments.SelectMany(g => g).Select(a => a.UploadedBy)), cancellationToken);
        return [.. feedback.Select(f =>
        {
            var cause = f.Cause is null ? null : causes.Find(domain, f.Cause);
            return new FeedbackResponse(f.Id, f.AlertId, f.OrganizationId, f.Cause, cause?.Name, cause?.NameZh, f.Measures, f.FalseAlarm,
                DateTimeOffset.FromUnixTimeMilliseconds(f.At), ActorRef.Of(f.By, names), [.. attachments[f.Id].Select(a => From(a, names))]);
        })];
    }

    /// <summary>An alert resolved with feedback, and whether it was a false alarm.</summary>
    internal sealed class JudgedAlert
    {
        public required Alert Alert { get; init; }
        public required bool False { get; init; }
    }

    /// <summary>
    /// Of these alerts, those resolved with feedback, each judged a false alarm when no organization's latest feedback on
    /// it found a hazard (it was resolved with feedback, so one exists): in a joint response, one unit finding a leak
    /// outweighs another finding nothing. Translated to SQL on both providers.
    /// </summary>
    internal static IQueryable<JudgedAlert> Judged(HubDb db, IQueryable<Alert> alerts) => alerts
        .Where(a => db.AlertFeedback.Any(f => f.AlertId == a.Id))
        .Select(a => new JudgedAlert
        {
            Alert = a,
            False = !db.AlertFeedback.Any(f => f.AlertId == a.Id && !f.FalseAlarm
                && !db.AlertFeedback.Any(later => later.AlertId == a.Id && later.OrganizationId == f.OrganizationId && later.Id > f.Id)),
        });

    /// <summary>The file's bytes, or null when it runs past <paramref name="max"/>.</summary>
    private static async Task<byte[]?> ReadBoundedAsync(Stream body, int max, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > max)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static ProblemHttpResult LimitReached(HttpContext context, FeedbackOptions limits, string organizationId, long alertId) =>
        ProblemResults.Problem(context, ErrorCodes.AttachmentLimitReached,
            $"'{organizationId}' holds {limits.MaxAttachments} uploads on alert {alertId} that no feedback names yet: resolve with them first.");

    private static ProblemHttpResult TooLarge(HttpContext context, FeedbackOptions limits) =>
        ProblemResults.Problem(context, ErrorCodes.AttachmentTooLarge, $"An attachment has at most {limits.MaxAttachmentBytes} bytes.");

    private static AttachmentResponse From(AlertAttachment a, IReadOnlyDictionary<string, string> names) => new(
        a.Id, a.AlertId, a.OrganizationId, a.Name, a.MediaType, a.Size, a.Sha256, DateTimeOffset.FromUnixTimeMilliseconds(a.UploadedAt), ActorRef.Of(a.UploadedBy, names), a.FeedbackId);

    private static ProblemHttpResult AlertNotFound(HttpContext context, long alertId) =>
        ProblemResults.Problem(context, ErrorCodes.AlertNotFound, $"No alert {alertId} that you may see.");
}

/// <summary>What an attachment is, judged from its first bytes (LOOP-007), and whether what the sender said agrees.</summary>
internal static class AttachmentTypes
{
    public const string Jpeg = "image/jpeg";
    public const string Png = "image/png";
    public const string Pdf = "application/pdf";

    /// <summary>JPEG (SOI and a marker: FF D8 FF), PNG (its 8-byte signature), PDF (<c>%PDF-</c>); null for anything else.</summary>
    public static string? Sniff(ReadOnlySpan<byte> content) =>
        content.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]) ? Jpeg
        : content.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) ? Png
        : content.StartsWith("%PDF-"u8) ? Pdf
        : null;

    /// <summary>
    /// What the sender claimed that the content contradicts: a declared type other than the judged one (a generic
    /// octet-stream claims nothing), or a file name whose extension names another known type.
    /// </summary>
    public static string? Disagrees(string judged, string? declared, string name)
    {
        if (declared is not null && MediaTypeHeaderValue.TryParse(declared, out var type)
            && !type.MediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase)
            && !type.MediaType.Equals(judged, StringComparison.OrdinalIgnoreCase)
            && !(judged == Jpeg && type.MediaType.Equals("image/jpg", StringComparison.OrdinalIgnoreCase)))
        {
            return $"it was declared {type.MediaType}";
        }
        var named = TypeNamedBy(name);
        return named is not null && named != judged ? $"its name '{name}' says {named}" : null;
    }

    /// <summary>
    /// The name to store and to offer on download: the last path segment, printable, at most 200 characters, ending in
    /// the judged type's extension, so that a photo named <c>report.html</c> is saved by a browser as what it is.
    /// </summary>
    public static string CleanName(string name, string judged)
    {
        var extension = judged switch { Jpeg => ".jpg", Png => ".png", _ => ".pdf" };
        var last = name.Replace('\\', '/').Split('/')[^1];
        var clean = new string([.. last.Where(c => !char.IsControl(c) && c != '"')]).Trim();
        if (Path.HasExtension(clean) && TypeNamedBy(clean) != judged)
        {
            clean += extension;
        }
        if (clean.Length > 200)
        {
            clean = clean[^200..];
        }
        return clean.Length == 0 ? (judged == Pdf ? "document" : "photo") + extension
            : Path.HasExtension(clean) ? clean : clean + extension;
    }

    private static string? TypeNamedBy(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" or ".jfif" => Jpeg,
        ".png" => Png,
        ".pdf" => Pdf,
        _ => null,
    };
}
