using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace IntegrationHub.Gateway.Upstreams;

/// <summary>The names the proxied calls' pipeline shares: its authorization and rate-limit policies, and the request id header.</summary>
internal static class UpstreamProxy
{
    /// <summary>A hub client's bearer token (never a portal session), still active, admitted by the route (UPS-001).</summary>
    public const string CallerPolicy = "upstream-caller";

    /// <summary>Requests per minute per client and route, as the route says.</summary>
    public const string RateLimitPolicy = "upstream";

    public const string RequestIdHeader = "X-Request-Id";

    // Safe and idempotent methods (RFC 9110 §9.2.2): sending one twice has the effect of sending it once.
    public static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method)
        || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);
}

/// <summary>What the gateway learns about one call while it runs, for its audit row.</summary>
internal sealed class UpstreamCallFeature(UpstreamEntry entry)
{
    public UpstreamEntry Entry { get; } = entry;

    /// <summary>Why the call ended as it did, when the status alone does not say (see <see cref="UpstreamCall.Outcome"/>).</summary>
    public string? Outcome { get; set; }

    /// <summary>The response body, counted and held to the system's limit.</summary>
    public MeteredStream? Response { get; set; }

    /// <summary>The upstream token presented, so that a 401 from the upstream retires it.</summary>
    public string? UpstreamToken { get; set; }
}

internal sealed record UpstreamRouteRequirement : IAuthorizationRequirement;

/// <summary>
/// Admits a caller to a route (UPS-001): it holds one of the route's scopes and belongs to one of its organizations.
/// Runs after <see cref="ActiveClientHandler"/>, which has looked the client up; a refused caller gets 403.
/// </summary>
internal sealed class UpstreamRouteHandler : AuthorizationHandler<UpstreamRouteRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, UpstreamRouteRequirement requirement)
    {
        if (context.Resource is not HttpContext http || http.Features.Get<Caller>() is not { } caller || http.Features.Get<UpstreamCallFeature>() is not { } call)
        {
            return Task.CompletedTask;
        }
        var entry = call.Entry;
        if (!entry.Scopes.Overlaps(caller.Scopes))
        {
            context.Fail(new HubAuthorizationFailure(this, ErrorCodes.InsufficientScope,
                $"This route needs one of the scopes {string.Join(", ", entry.Scopes.Order(StringComparer.Ordinal))}.", StatusCodes.Status403Forbidden));
        }
        else if (!entry.Admits(caller.OrganizationId))
        {
            context.Fail(new HubAuthorizationFailure(this, ErrorCodes.UpstreamRouteForbidden,
                $"Organization '{caller.OrganizationId}' may not call this route.", StatusCodes.Status403Forbidden));
        }
        else
        {
            context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// Opens and closes every call to a route, in the hub's pipeline before authentication, so that refused and
/// rate-limited calls are recorded too: it finds the route, stamps the request id, counts the bytes both ways (and
/// stops a response past the system's limit), and when the call is over queues its audit row and counts its metrics.
/// Answers from the upstream pass through untouched by the hub's status-code pages.
/// </summary>
internal sealed class UpstreamCallRecorder(RequestDelegate next, UpstreamTable table, UpstreamAudit audit, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>() is not { } model || !table.TryGet(model.Config.RouteId, out var entry))
        {
            await next(context);
            return;
        }
        var started = time.GetTimestamp();
        var call = new UpstreamCallFeature(entry);
        context.Features.Set(call);
        if (context.Features.Get<IStatusCodePagesFeature>() is { } pages)
        {
            pages.Enabled = false;
        }
        context.Response.Headers[UpstreamProxy.RequestIdHeader] = context.TraceIdentifier;
        var requestBody = context.Request.Body;
        var responseBody = context.Response.Body;
        var counted = new MeteredStream(requestBody, null);
        var limited = new MeteredStream(responseBody, entry.Target.System.MaxResponseBytes);
        context.Request.Body = counted;
        context.Response.Body = limited;
        call.Response = limited;
        try
        {
            await next(context);
        }
        finally
        {
            context.Request.Body = requestBody;
            context.Response.Body = responseBody;
            var caller = context.Features.Get<Caller>();
            var status = context.Response.StatusCode;
            audit.Record(new UpstreamCall
            {
                At = time.GetUtcNow(),
                ClientId = caller?.ClientId ?? context.User.ClientId(),
                OrganizationId = caller?.OrganizationId,
                SystemId = entry.Route.SystemId,
                RouteId = entry.Route.Id,
                Method = context.Request.Method,
                Path = Truncate(context.Request.Path.Value ?? "/", 512),
                Status = status,
                Outcome = limited.Exceeded ? "response-too-large" : call.Outcome ?? Outcome(status, context.RequestAborted.IsCancellationRequested),
                DurationMs = time.GetElapsedTime(started).TotalMilliseconds,
                RequestBytes = counted.Bytes,
                ResponseBytes = limited.Bytes,
                RequestId = context.TraceIdentifier,
            });
        }
    }

    private static string Outcome(int status, bool aborted) => status switch
    {
        _ when aborted => "cancelled",
        StatusCodes.Status401Unauthorized => "unauthenticated",
        StatusCodes.Status403Forbidden => "refused",
        StatusCodes.Status429TooManyRequests => "rate-limited",
        _ => "proxied",
    };

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}

/// <summary>
/// The first step of the proxy's own pipeline, for callers already admitted: refuses bodies over the system's limit,
/// tries idempotent calls again when the connection failed, and turns what went wrong into problem details (UPS-004):
/// 503 with <c>Retry-After</c> when the upstream is down or unhealthy, 504 when it did not answer in time, 502 for
/// anything else. Nothing of a failed upstream's own answer reaches the caller.
/// </summary>
internal sealed class UpstreamGate(RequestDelegate next, UpstreamMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var call = context.Features.GetRequiredFeature<UpstreamCallFeature>();
        var system = call.Entry.Target.System;
        if (context.Request.ContentLength > system.MaxRequestBytes)
        {
            await ProblemResults.WriteAsync(context, ErrorCodes.BodyTooLarge, $"This upstream takes bodies of at most {system.MaxRequestBytes} bytes.");
            return;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = system.MaxRequestBytes;
        }
        // UPS-005: only an idempotent call is sent again, and only when the connection failed (no answer came back).
        var retries = UpstreamProxy.IsIdempotent(context.Request.Method) ? system.Retries : 0;
        if (retries > 0 && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            context.Request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: system.MaxRequestBytes);
        }
        while (true)
        {
            await next(context);
            if (context.Features.Get<IForwarderErrorFeature>() is not { } failure)
            {
                return;
            }
            if (failure.Error == ForwarderError.Request && retries-- > 0 && !context.Response.HasStarted)
            {
                metrics.Retry(call.Entry.Route.SystemId, call.Entry.Route.Id);
                context.Features.Set<IForwarderErrorFeature>(null);
                context.Response.StatusCode = StatusCodes.Status200OK;
                if (context.Request.Body.CanSeek)
                {
                    context.Request.Body.Position = 0;
                }
                continue;
            }
            await FailAsync(context, call, failure);
            return;
        }
    }

    private static async Task FailAsync(HttpContext context, UpstreamCallFeature call, IForwarderErrorFeature failure)
    {
        var target = call.Entry.Target;
        var (code, outcome, detail, retryAfter) = failure.Error switch
        {
            ForwarderError.NoAvailableDestinations => (ErrorCodes.UpstreamUnavailable, "unavailable",
                "The upstream system is unhealthy; the hub sends it nothing until its health check passes.", true),
            ForwarderError.RequestTimedOut => (ErrorCodes.UpstreamTimeout, "timeout",
                $"The upstream system did not answer within {target.System.Timeout.TotalSeconds:0.###} s.", false),
            ForwarderError.Request when Unreachable(failure.Exception) => (ErrorCodes.UpstreamUnavailable, "unavailable",
                "The upstream system cannot be reached.", true),
            ForwarderError.ResponseBodyClient when call.Response?.Exceeded == true => (ErrorCodes.UpstreamResponseTooLarge, "response-too-large",
                $"The upstream system's answer is larger than the {target.System.MaxResponseBytes} bytes the hub passes on.", false),
            ForwarderError.RequestBodyClient when failure.Exception is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                (ErrorCodes.BodyTooLarge, "too-large", $"This upstream takes bodies of at most {target.System.MaxRequestBytes} bytes.", false),
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled
                or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeResponseCanceled => (null, "cancelled", null, false),
            _ => (ErrorCodes.UpstreamBadGateway, "bad-gateway", "The upstream system failed to answer.", false),
        };
        call.Outcome = outcome;
        if (code is null || context.Response.HasStarted)
        {
            return;
        }
        if (retryAfter)
        {
            context.Response.Headers.RetryAfter = target.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }
        await ProblemResults.WriteAsync(context, code, detail);
    }

    /// <summary>The connection never opened: refused, no route, no such host, or the address policy said no.</summary>
    private static bool Unreachable(Exception? exception) =>
        exception is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };
}

/// <summary>
/// What every route does to the request and the answer (UPS-002): the hub's token and cookies never reach the upstream,
/// which gets its own credentials instead, the <c>X-Forwarded-*</c> headers the hub saw, the request id (and, from the
/// HTTP stack, a W3C <c>traceparent</c> continuing the hub's trace). A failed upstream's answer is replaced by problem
/// details, and headers that set cookies on the hub's origin or name the upstream's software are dropped.
/// </summary>
internal sealed class UpstreamTransforms(UpstreamTable table, UpstreamTokens tokens) : ITransformProvider
{
    private static readonly string[] DroppedResponseHeaders = ["Set-Cookie", "Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version"];

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        var routeId = context.Route.RouteId;
        // The hub states what it saw; a caller's own X-Forwarded-* headers are replaced, not passed on.
        context.UseDefaultForwarders = false;
        context.AddXForwardedFor();
        context.AddXForwardedProto();
        context.AddXForwardedHost();
        context.AddRequestHeader("X-Forwarded-Prefix", $"{UpstreamTable.PathPrefix}/{context.Route.ClusterId}", append: false);
        context.AddRequestHeaderRemove(HeaderNames.Authorization);
        context.AddRequestHeaderRemove(HeaderNames.Cookie);
        context.AddRequestHeader(UpstreamProxy.RequestIdHeader, "", append: false);
        context.AddRequestTransform(transform => AddCredentialsAsync(transform, routeId));
        context.AddResponseTransform(ReviewAnswerAsync);
    }

    private async ValueTask AddCredentialsAsync(RequestTransformContext transform, string routeId)
    {
        var http = transform.HttpContext;
        transform.ProxyRequest.Headers.Remove(UpstreamProxy.RequestIdHeader);
        transform.ProxyRequest.Headers.TryAddWithoutValidation(UpstreamProxy.RequestIdHeader, http.TraceIdentifier);
        if (!table.TryGet(routeId, out var entry))
        {
            return;
        }
        var credential = entry.Target.Credential;
        switch (credential.Kind)
        {
            case UpstreamCredentialKind.Header:
                RequestTransform.RemoveHeader(transform, credential.Header!);
                transform.ProxyRequest.Headers.TryAddWithoutValidation(credential.Header!, credential.Secret);
                break;
            case UpstreamCredentialKind.OAuth2:
                try
                {
                    var token = await tokens.GetAsync(credential, transform.CancellationToken);
                    transform.ProxyRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    http.Features.GetRequiredFeature<UpstreamCallFeature>().UpstreamToken = token;
                }
                catch (UpstreamTokenException)
                {
                    // A response set here ends the call: YARP forwards nothing.
                    http.Features.GetRequiredFeature<UpstreamCallFeature>().Outcome = "credentials-failed";
                    await ProblemResults.WriteAsync(http, ErrorCodes.UpstreamBadGateway, "The hub could not obtain a token from the upstream system's token endpoint.");
                }
                break;
        }
    }

    private async ValueTask ReviewAnswerAsync(ResponseTransformContext transform)
    {
        if (transform.ProxyResponse is not { } answer)
        {
            return;
        }
        var http = transform.HttpContext;
        var call = http.Features.GetRequiredFeature<UpstreamCallFeature>();
        foreach (var header in DroppedResponseHeaders)
        {
            http.Response.Headers.Remove(header);
        }
        if (answer.StatusCode == HttpStatusCode.Unauthorized && call.UpstreamToken is { } token)
        {
            tokens.Invalidate(call.Entry.Route.SystemId, token);
        }
        var status = (int)answer.StatusCode;
        var limit = call.Entry.Target.System.MaxResponseBytes;
        if (status < 500 && !(answer.Content.Headers.ContentLength > limit))
        {
            return;
        }
        // The upstream's own words stay behind (a failing service may answer with its stack trace); the caller gets a problem.
        transform.SuppressResponseBody = true;
        http.Response.Headers.Clear();
        http.Response.Headers[UpstreamProxy.RequestIdHeader] = http.TraceIdentifier;
        if (status < 500)
        {
            call.Outcome = "response-too-large";
            await ProblemResults.WriteAsync(http, ErrorCodes.UpstreamResponseTooLarge, $"The upstream system's answer is larger than the {limit} bytes the hub passes on.");
            return;
        }
        var (code, outcome) = answer.StatusCode switch
        {
            HttpStatusCode.ServiceUnavailable => (ErrorCodes.UpstreamUnavailable, "unavailable"),
            HttpStatusCode.GatewayTimeout => (ErrorCodes.UpstreamTimeout, "timeout"),
            _ => (ErrorCodes.UpstreamBadGateway, "bad-gateway"),
        };
        call.Outcome = outcome;
        if (code == ErrorCodes.UpstreamUnavailable)
        {
            var delta = answer.Headers.RetryAfter?.Delta?.TotalSeconds;
            http.Response.Headers.RetryAfter = (delta is >= 1 and <= 3600 ? (int)delta.Value : call.Entry.Target.RetryAfterSeconds).ToString(CultureInfo.InvariantCulture);
        }
        await ProblemResults.WriteAsync(http, code, $"The upstream system answered {status}.");
    }
}

/// <summary>Counts the bytes through a body stream; past <c>limit</c> (a response's), it refuses to write more and says so.</summary>
internal sealed class MeteredStream(Stream inner, long? limit) : Stream
{
    public long Bytes { get; private set; }

    public bool Exceeded { get; private set; }

    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Counted(await inner.ReadAsync(buffer, cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        Check(count);
        inner.Write(buffer, offset, count);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Check(buffer.Length);
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private int Counted(int read)
    {
        Bytes += read;
        return read;
    }

    private void Check(int count)
    {
        if (Bytes + count > limit)
        {
            // The answer has started: all the hub can do is end it, so that the caller never takes a cut answer for a whole one.
            Exceeded = true;
            throw new IOException($"The upstream's answer is larger than {limit} bytes.");
        }
        Bytes += count;
    }
}
