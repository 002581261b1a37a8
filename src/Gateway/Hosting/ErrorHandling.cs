using System.Text.Json;
using IntegrationHub.Conformance.Spec;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Diagnostics;

namespace IntegrationHub.Gateway.Hosting;

/// <summary>
/// Turns every exception that escapes an endpoint into problem details: malformed bodies and parameters become 4xx
/// with their code, anything else a 500 <c>server.error</c> with the trace id. The hub keeps serving either way.
/// </summary>
internal sealed partial class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (code, detail, status) = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (ErrorCodes.BodyTooLarge, "The request body is too large.", (int?)null),
            BadHttpRequestException { InnerException: JsonException json } => (ErrorCodes.MalformedJson, json.Message, null),
            BadHttpRequestException { InnerException: AntiforgeryValidationException } => (ErrorCodes.FormTokenInvalid, "The form lacks the anti-forgery token of its page, or carries another session's.", null),
            BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } bad => (ErrorCodes.UnsupportedMediaType, bad.Message, null),
            BadHttpRequestException bad => (ErrorCodes.InvalidParameter, bad.Message, null),
            JsonException json => (ErrorCodes.MalformedJson, json.Message, null),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested => (ErrorCodes.Unavailable, "The request was cancelled.", StatusCodes.Status499ClientClosedRequest),
            _ => (ErrorCodes.ServerError, "The hub failed unexpectedly; the trace id identifies the failure in the hub's log.", null),
        };
        if (code == ErrorCodes.ServerError)
        {
            Unhandled(logger, context.Request.Method, context.Request.Path, exception);
        }
        await ProblemResults.WriteAsync(context, code, detail, status);
        return true;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unhandled exception on {Method} {Path}")]
    private static partial void Unhandled(ILogger logger, string method, string path, Exception exception);
}
