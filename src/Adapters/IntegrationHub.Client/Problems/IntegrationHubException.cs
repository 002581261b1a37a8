using System.Net;
using IntegrationHub.Client.Telemetry;

namespace IntegrationHub.Client.Problems;

/// <summary>
/// An error answer from the hub: an RFC 9457 problem with its stable <see cref="Code"/> (see the hub's
/// <c>/specs/v1/errors</c>; the problem type links the code's page at <c>/docs/errors/{code}</c>) and, for invalid input, every <see cref="Errors"/> finding with its JSON pointer. OAuth2
/// errors of the token endpoint arrive here too, with the OAuth2 error as the code (e.g. <c>invalid_client</c>).
/// </summary>
public sealed class IntegrationHubException : Exception
{
    public IntegrationHubException(string message)
        : this(message, null)
    {
    }

    public IntegrationHubException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public IntegrationHubException()
        : this("The hub answered with an error.")
    {
    }

    internal IntegrationHubException(HttpStatusCode status, ProblemDocument? problem, string? body)
        : base(Describe(status, problem, body))
    {
        StatusCode = status;
        Code = problem?.Code;
        Title = problem?.Title;
        Detail = problem?.Detail;
        Type = problem?.Type;
        TraceId = problem?.TraceId;
        Errors = problem?.Errors ?? [];
        Body = body;
    }

    public HttpStatusCode StatusCode { get; }

    /// <summary>The stable error code, e.g. <c>request.validation-failed</c>; null when the answer was not a problem.</summary>
    public string? Code { get; }

    public string? Title { get; }

    public string? Detail { get; }

    /// <summary>The URL documenting <see cref="Code"/>.</summary>
    public string? Type { get; }

    /// <summary>Give this to the operator when asking about a server error.</summary>
    public string? TraceId { get; }

    public IReadOnlyList<Finding> Errors { get; } = [];

    /// <summary>The raw answer, for answers that were not problem details.</summary>
    public string? Body { get; }

    /// <summary>How long the hub asked the caller to wait (429, 503).</summary>
    public TimeSpan? RetryAfter { get; init; }

    private static string Describe(HttpStatusCode status, ProblemDocument? problem, string? body)
    {
        if (problem is null)
        {
            return $"The hub answered {(int)status} {status}{(string.IsNullOrWhiteSpace(body) ? "" : ": " + Truncate(body))}.";
        }
        var findings = problem.Errors is { Count: > 0 } errors ? " " + string.Join("; ", errors.Select(e => $"{e.Pointer}: {e.Code}")) : "";
        return $"{(int)status} {problem.Code}: {problem.Detail ?? problem.Title}{findings}";
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";
}

/// <summary>The members of an RFC 9457 problem the hub sends.</summary>
internal sealed record ProblemDocument(string? Type, string? Title, int? Status, string? Detail, string? Instance, string? Code, string? TraceId, IReadOnlyList<Finding>? Errors);
