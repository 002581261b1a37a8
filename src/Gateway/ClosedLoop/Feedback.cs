using System.Collections.Frozen;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>
/// The structured feedback of one resolution (LOOP-007): a unit's resolve of its share, or the resolve of an alert no
/// unit works on. Rows are never changed: a unit that resolves again after a reopening gives a new one. Times are Unix
/// milliseconds (UTC).
/// </summary>
internal sealed class AlertFeedback
{
    public long Id { get; init; }
    public required long AlertId { get; init; }

    /// <summary>The unit whose share was resolved, or the organization that resolved the alert.</summary>
    public required string OrganizationId { get; init; }

    /// <summary>A cause of feedback/causes.json for the alert's domain; null when the resolver named none.</summary>
    public string? Cause { get; init; }

    public required string Measures { get; init; }

    /// <summary>The resolver found no hazard: the device's and the rule's quality measures count it.</summary>
    public required bool FalseAlarm { get; init; }

    public required long At { get; init; }
    public required string By { get; init; }
}

/// <summary>
/// A photo or PDF uploaded to an alert, bound to the feedback that names it once the resolve is taken; until then it
/// counts against its organization's unused uploads on the alert. The bytes live in <see cref="AttachmentContent"/>, so
/// that listing attachments never reads them.
/// </summary>
internal sealed class AlertAttachment
{
    public long Id { get; init; }
    public required long AlertId { get; init; }

    /// <summary>The organization that uploaded it.</summary>
    public required string OrganizationId { get; init; }

    public long? FeedbackId { get; set; }
    public AlertFeedback? Feedback { get; set; }
    public required string Name { get; init; }

    /// <summary>The type judged from the content (image/jpeg, image/png, application/pdf), never the one declared.</summary>
    public required string MediaType { get; init; }

    public required long Size { get; init; }
    public required string Sha256 { get; init; }
    public required long UploadedAt { get; init; }
    public required string UploadedBy { get; init; }
    public AttachmentContent? Content { get; set; }
}

/// <summary>The bytes of an attachment.</summary>
internal sealed class AttachmentContent
{
    public long AttachmentId { get; init; }
    public required byte[] Bytes { get; init; }
}

internal sealed class FeedbackOptions
{
    public const string Section = "Feedback";

    /// <summary>The largest attachment taken, in bytes: 5 MiB by default, a phone's photo at full size.</summary>
    [Range(1024, 50 * 1024 * 1024)]
    public int MaxAttachmentBytes { get; set; } = 5 * 1024 * 1024;

    /// <summary>Attachments per feedback, and unused uploads per organization and alert.</summary>
    [Range(1, 20)]
    public int MaxAttachments { get; set; } = 5;

    /// <summary>
    /// The bytes of uploads that no feedback names yet an organization may hold over all alerts: 256 MiB by default.
    /// Uploads need only read access to an alert its organization handles, so without it one client could fill the
    /// data store, 25 MiB per open alert. Named attachments are bounded by the resolves that name them.
    /// </summary>
    [Range(typeof(long), "1024", "1099511627776")]
    public long MaxUnusedBytesPerOrganization { get; set; } = 256L * 1024 * 1024;

    /// <summary>How long an upload that no resolve names is kept: 7 days by default, long enough for a unit's share to be resolved.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "365.00:00:00")]
    public TimeSpan UnusedAttachmentRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Uploads a client may make per minute: each is up to <see cref="MaxAttachmentBytes"/> of work for the hub and its database.</summary>
    [Range(1, 10_000)]
    public int UploadsPerMinute { get; set; } = 30;
}

/// <summary>One cause category of the catalogue, with its names in English and Chinese.</summary>
internal sealed record FeedbackCause(string Id, string Name, string NameZh, bool Common);

/// <summary>
/// The cause catalogue of the spec (feedback/causes.json, LOOP-007), checked against its schema when the hub first
/// reads it: the causes common to every domain, and each domain's own.
/// </summary>
internal sealed class FeedbackCauses
{
    public const string File = "feedback/causes.json";
    private readonly FrozenDictionary<string, FrozenDictionary<string, FeedbackCause>> _byDomain;

    public FeedbackCauses(SpecCatalog spec)
    {
        var file = spec.FindFile(File) ?? throw new InvalidOperationException($"The spec has no {File}.");
        using var document = JsonDocument.Parse(file.Content);
        if (!SchemaFindings.IsValid(spec.Schema("feedback-causes"), document.RootElement))
        {
            throw new InvalidOperationException($"{File} does not follow schemas/feedback-causes.schema.json.");
        }
        var common = Read(document.RootElement.GetProperty("common"), common: true);
        var domains = spec.Schema(SpecCatalog.ProfileSchema).Root.GetProperty("$defs").GetProperty("domain").GetProperty("enum")
            .EnumerateArray().Select(d => d.GetString()!).ToList();
        var own = document.RootElement.GetProperty("domains");
        _byDomain = domains.ToFrozenDictionary(d => d, d =>
        {
            var causes = own.TryGetProperty(d, out var list) ? Read(list, common: false) : [];
            // A domain's cause that repeats a common id would make the id mean two things.
            return causes.Concat(common).ToFrozenDictionary(c => c.Id, StringComparer.Ordinal);
        }, StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> Domains => _byDomain.Keys;

    /// <summary>The causes a resolution of an alert of <paramref name="domain"/> may name, the domain's own first.</summary>
    public IEnumerable<FeedbackCause> For(string domain) =>
        _byDomain.TryGetValue(domain, out var causes) ? causes.Values.OrderBy(c => c.Common).ThenBy(c => c.Id, StringComparer.Ordinal) : [];

    public FeedbackCause? Find(string domain, string cause) =>
        _byDomain.TryGetValue(domain, out var causes) ? causes.GetValueOrDefault(cause) : null;

    private static List<FeedbackCause> Read(JsonElement list, bool common) =>
        [.. list.EnumerateArray().Select(c => new FeedbackCause(c.GetProperty("id").GetString()!, c.GetProperty("name").GetString()!, c.GetProperty("nameZh").GetString()!, common))];
}

/// <summary>
/// Records a resolution's structured feedback beside the step that resolves (LOOP-007): the cause is checked against
/// the alert's domain, the attachments named must be unused uploads to the same alert by the caller's or the unit's
/// organization. The feedback is staged on the request's context and saved by the resolve's own commit, so a refused
/// resolve leaves nothing behind; the organization's other unused uploads on the alert are deleted by the same commit.
/// </summary>
internal static class FeedbackRecorder
{
    public const int MaxMeasures = 4000;

    /// <summary>Stages the feedback; a problem when it is refused, null when staged (or when the alert is not the caller's to see, which the step answers).</summary>
    public static async Task<ProblemHttpResult?> StageAsync(
        HttpContext context, HubDb db, TimeProvider time, long alertId, string organizationId, string measures, string? cause, bool? falseAlarm, IReadOnlyList<long>? attachments)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<FeedbackOptions>>().Value;
        var check = new RequestValidator();
        if (measures.Length > MaxMeasures)
        {
            check.Add(ErrorCodes.InvalidValue, "/measures", $"The measures taken, at most {MaxMeasures} characters.");
        }
        if (attachments is { } named && named.Distinct().Count() != named.Count)
        {
            check.Add(ErrorCodes.InvalidValue, "/attachments", "Each attachment once.");
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }
        if (attachments?.Count > options.MaxAttachments)
        {
            return ProblemResults.Problem(context, ErrorCodes.AttachmentLimitReached, $"A feedback takes at most {options.MaxAttachments} attachments; this one names {attachments.Count}.");
        }
        var domain = await (await AlertsApi.VisibleAsync(context, db, time)).Where(a => a.Id == alertId).Select(a => a.Domain).FirstOrDefaultAsync(context.RequestAborted);
        if (domain is null)
        {
            return null;
        }
        if (cause is not null && context.RequestServices.GetRequiredService<FeedbackCauses>().Find(domain, cause) is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.FeedbackUnknownCause,
                $"'{cause}' is not a cause of the {domain} domain: GET /v1/feedback/causes?domain={domain} lists them.",
                [new Finding(ErrorCodes.FeedbackUnknownCause, "/cause", "A cause of the alert's domain, or a common one.")]);
        }
        var caller = context.Caller().OrganizationId;
        var ids = attachments ?? [];
        var found = ids.Count == 0 ? [] : await db.AlertAttachments
            .Where(a => ids.Contains(a.Id) && a.AlertId == alertId && a.FeedbackId == null && (a.OrganizationId == caller || a.OrganizationId == organizationId))
            .ToListAsync(context.RequestAborted);
        if (ids.FirstOrDefault(id => found.All(a => a.Id != id)) is var missing and not 0)
        {
            return ProblemResults.Problem(context, ErrorCodes.AttachmentNotFound,
                $"No unused attachment {missing} uploaded to alert {alertId} by '{caller}': upload with POST /v1/alerts/{alertId}/attachments, and name each in one feedback only.");
        }
        var feedback = new AlertFeedback
        {
            AlertId = alertId, OrganizationId = organizationId, Cause = cause, Measures = measures, FalseAlarm = falseAlarm ?? false,
            At = time.GetUtcNow().ToUnixTimeMilliseconds(), By = context.Caller().ClientId,
        };
        db.AlertFeedback.Add(feedback);
        foreach (var attachment in found)
        {
            attachment.Feedback = feedback;
        }
        // The organization's feedback on the alert is complete: its uploads this resolve does not name go in the same
        // commit. The sweeper only catches those of organizations that never resolve.
        db.AlertAttachments.RemoveRange(await db.AlertAttachments
            .Where(a => a.AlertId == alertId && a.OrganizationId == organizationId && a.FeedbackId == null && !ids.Contains(a.Id))
            .ToListAsync(context.RequestAborted));
        return null;
    }
}
