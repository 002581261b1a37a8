using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>A line of a table the loop's people keep (routing, supervision, the duty roster): who changed it last, and when.</summary>
internal interface IAuditedLine
{
    long Id { get; }
    long UpdatedAt { get; set; }
    string UpdatedBy { get; set; }
}

/// <summary>
/// The one way the loop's tables are created, changed and removed through the API: the request is checked whole and
/// written into the line (<c>apply</c> answers the problem when it fails), every change is audited as
/// <c>{kind}.create</c>, <c>.update</c> or <c>.delete</c> on <c>{kind}/{id}</c>, in the change's own transaction where
/// the id is known, and a line the caller may not see is answered as not found.
/// </summary>
internal static class AuditedLines
{
    public delegate Task<ProblemHttpResult?> Apply<in TLine>(TLine line);

    public static async Task<Results<Created<TResponse>, ProblemHttpResult>> CreateAsync<TLine, TResponse>(
        HubDb db, TimeProvider time, HttpContext context, string kind, string path, Func<long, string, TLine> create, Apply<TLine> apply, object request,
        Func<TLine, Task<TResponse>> respond)
        where TLine : class, IAuditedLine
    {
        var now = time.GetUtcNow();
        var actor = context.Caller().ClientId;
        var line = create(now.ToUnixTimeMilliseconds(), actor);
        if (await apply(line) is { } problem)
        {
            return problem;
        }
        db.Set<TLine>().Add(line);
        // The audit names the line by its id, which the insert gives.
        await db.SaveChangesAsync(context.RequestAborted);
        db.Record(now, actor, $"{kind}.create", $"{kind}/{line.Id}", request);
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.Created($"{path}/{line.Id}", await respond(line));
    }

    public static async Task<Results<Ok<TResponse>, ProblemHttpResult>> UpdateAsync<TLine, TResponse>(
        HubDb db, TimeProvider time, HttpContext context, string kind, IQueryable<TLine> line, Func<ProblemHttpResult> notFound, Apply<TLine> apply, object request,
        Func<TLine, Task<TResponse>> respond)
        where TLine : class, IAuditedLine
    {
        if (await line.FirstOrDefaultAsync(context.RequestAborted) is not { } found)
        {
            return notFound();
        }
        if (await apply(found) is { } problem)
        {
            return problem;
        }
        var now = time.GetUtcNow();
        (found.UpdatedAt, found.UpdatedBy) = (now.ToUnixTimeMilliseconds(), context.Caller().ClientId);
        db.Record(now, found.UpdatedBy, $"{kind}.update", $"{kind}/{found.Id}", request);
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.Ok(await respond(found));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync<TLine>(
        HubDb db, TimeProvider time, HttpContext context, string kind, IQueryable<TLine> line, Func<ProblemHttpResult> notFound, Func<TLine, object> removed)
        where TLine : class, IAuditedLine
    {
        if (await line.FirstOrDefaultAsync(context.RequestAborted) is not { } found)
        {
            return notFound();
        }
        db.Set<TLine>().Remove(found);
        db.Record(time.GetUtcNow(), context.Caller().ClientId, $"{kind}.delete", $"{kind}/{found.Id}", removed(found));
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.NoContent();
    }
}
