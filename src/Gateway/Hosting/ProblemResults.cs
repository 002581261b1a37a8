using System.Diagnostics;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace IntegrationHub.Gateway.Hosting;

/// <summary>
/// RFC 9457 problem details for every error the hub returns (ERR-001): a stable <c>code</c> from the spec's catalogue, its title,
/// a <c>type</c> linking the code's documentation, the trace id, and every finding with its JSON pointer.
/// </summary>
internal static class ProblemResults
{
    public const string ContentType = "application/problem+json";

    public static ProblemHttpResult Problem(HttpContext context, string code, string? detail = null, IReadOnlyList<Finding>? errors = null, int? status = null)
    {
        var descriptor = context.RequestServices.GetRequiredService<SpecCatalog>().Errors[code];
        var extensions = new Dictionary<string, object?>
        {
            ["code"] = code,
            ["traceId"] = Activity.Current?.Id ?? context.TraceIdentifier,
        };
        if (errors is { Count: > 0 })
        {
            extensions["errors"] = errors;
        }
        return TypedResults.Problem(
            detail: detail,
            instance: context.Request.Path,
            statusCode: status ?? descriptor.Status,
            title: descriptor.Title,
            type: DocumentationUrl(context.Request, code),
            extensions: extensions);
    }

    /// <summary>Where the hub documents an error code: the portal's page for people (the JSON is at /specs/v1/errors/{code}).</summary>
    public static string DocumentationUrl(HttpRequest request, string code) =>
        $"{request.Scheme}://{request.Host}{request.PathBase}{IntegrationHub.Portal.PortalEndpoints.ErrorPagesPath}/{code}";

    /// <summary>Writes a problem outside an endpoint (middleware, authorization, exception handling).</summary>
    public static Task WriteAsync(HttpContext context, string code, string? detail = null, int? status = null) =>
        Problem(context, code, detail, status: status).ExecuteAsync(context);
}
