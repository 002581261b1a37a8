using System.Text.Json;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Ingestion;

/// <summary>
/// <c>GET /v1/quarantine</c>: what the hub rejected, newest first, with every reason. An adapter sees its own
/// rejections; an organization's people (organization:manage) see every one of its adapters'; the operator sees any adapter's.
/// </summary>
internal static class QuarantineApi
{
    public static IEndpointRouteBuilder MapQuarantine(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/quarantine", ListAsync)
            .WithTags("Telemetry")
            .RequireAuthorization(HubPolicies.SenderOrOrganization)
            .WithName("ListQuarantine")
            .WithSummary("Page through the sending adapter's rejected input, newest first, with the reasons.")
            .WithDescription("Each entry keeps what was sent: `payload` when it is JSON, else `payloadText`. When the bytes were not UTF-8 text, `payloadBytes` holds them exactly (base64) and `payloadText` shows them with U+FFFD for each invalid sequence. `payloadTruncated` says the sent input was longer than the 16 KiB kept.");
        return app;
    }

    internal sealed record QuarantineResponse(
        long Id, DateTimeOffset ReceivedAt, string AdapterId, string? MessageId, string? DeviceId,
        IReadOnlyList<Finding> Errors, JsonElement? Payload, string? PayloadText, bool PayloadTruncated, byte[]? PayloadBytes);

    private static async Task<Results<Ok<Page<QuarantineResponse>>, ProblemHttpResult>> ListAsync(
        HubDb db, HttpContext context, string? adapterId = null, int? limit = null, string? cursor = null)
    {
        var caller = context.Caller();
        var organizationWide = caller.Scopes.Contains(Scopes.OrganizationManage);
        if (adapterId is not null && adapterId != caller.ClientId && !caller.IsOperator && !organizationWide)
        {
            return ProblemResults.Problem(context, ErrorCodes.InsufficientScope, "An adapter sees only its own quarantine.", status: StatusCodes.Status403Forbidden);
        }
        if (!Cursors.TryDecodeId(cursor, long.MaxValue, out var before))
        {
            return ProblemResults.Problem(context, ErrorCodes.InvalidCursor);
        }
        var take = Cursors.Limit(limit);
        var query = db.Quarantine.AsNoTracking().Where(q => q.Id < before);
        // Scoped on the server: without the operator's reach, only the caller's own entries exist.
        if (!caller.IsOperator)
        {
            query = organizationWide
                ? query.Where(q => db.Adapters.Any(a => a.Id == q.AdapterId && a.OrganizationId == caller.OrganizationId))
                : query.Where(q => q.AdapterId == caller.ClientId);
        }
        if (adapterId is not null)
        {
            query = query.Where(q => q.AdapterId == adapterId);
        }
        var entries = await query.OrderByDescending(q => q.Id).Take(take + 1).ToListAsync(context.RequestAborted);
        var next = entries.Count > take ? Cursors.Encode(entries[take - 1].Id) : null;
        return TypedResults.Ok(new Page<QuarantineResponse>(entries.Take(take).Select(ToResponse).ToList(), next));
    }

    private static readonly JsonDocumentOptions PayloadOptions = new() { MaxDepth = 32 };

    private static QuarantineResponse ToResponse(QuarantineEntry entry)
    {
        JsonElement? payload = null;
        if (!entry.PayloadTruncated && entry.PayloadBytes is null)
        {
            try
            {
                // No deeper than ingest reads JSON: a body refused for its depth is shown as text, since nested inside
                // this answer it would pass the depth the answer may be written to.
                using var document = JsonDocument.Parse(entry.Payload, PayloadOptions);
                // JSON that escapes a lone surrogate parses, but cannot be written out again: it is shown as text.
                if (JsonText.IsWellFormed(document.RootElement))
                {
                    payload = document.RootElement.Clone();
                }
            }
            catch (JsonException)
            {
            }
        }
        return new QuarantineResponse(
            entry.Id,
            DateTimeOffset.FromUnixTimeMilliseconds(entry.ReceivedAt),
            entry.AdapterId,
            entry.MessageId,
            entry.DeviceId,
            JsonSerializer.Deserialize(entry.Errors, IngestionJsonContext.Default.ListFinding) ?? [],
            payload,
            payload is null ? entry.Payload : null,
            entry.PayloadTruncated,
            entry.PayloadBytes);
    }
}
