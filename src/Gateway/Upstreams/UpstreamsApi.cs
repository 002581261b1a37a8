using System.Text.Json;
using System.Text.RegularExpressions;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.OpenApi;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Subscriptions;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace IntegrationHub.Gateway.Upstreams;

/// <summary>
/// The operator's management of upstream systems and their routes (admin scope), the audit trail of proxied calls, and
/// the routes' effect: every change is stored, audited, and live on this node's next request (UPS-009).
/// </summary>
internal static partial class UpstreamsApi
{
    /// <summary>In a route's organizations: every organization.</summary>
    public const string AnyOrganization = "*";

    public const string UpstreamKey = "upstreams";

    private static readonly string[] Methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

    // Headers a static credential may not take: the framing and routing of the request, and the hub's own.
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Content-Type", "Content-Encoding", "Transfer-Encoding", "Connection", "Upgrade", "TE", "Trailer", "Keep-Alive",
        "Proxy-Authorization", "Cookie", "Expect", "traceparent", "tracestate", UpstreamProxy.RequestIdHeader,
        "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix",
    };

    public static IEndpointRouteBuilder MapUpstreamsApi(this IEndpointRouteBuilder app)
    {
        var systems = app.MapGroup("/v1/upstreams").WithTags("Upstreams").RequireScope(Scopes.Admin);
        systems.MapPost("/", CreateAsync).WithName("CreateUpstream")
            .WithSummary("Register a department's system behind the hub: its address, health check, timeout, retries, limits and the credentials the hub presents to it.")
            .DocumentsProblem(StatusCodes.Status409Conflict, "A system with this id exists (`upstream.exists`).")
            .DocumentsProblem(StatusCodes.Status422UnprocessableEntity, "The address or the token endpoint may not be called (`upstream.address-refused`): not https, not public, not allow-listed.");
        systems.MapGet("/", ListAsync).WithName("ListUpstreams").WithSummary("Every upstream system, with its health as the hub last saw it. Credentials are never shown.");
        systems.MapGet("/{systemId}", GetAsync).WithName("GetUpstream").WithSummary("One upstream system, with its health. Credentials are never shown.");
        systems.MapPut("/{systemId}", UpdateAsync).WithName("UpdateUpstream")
            .WithSummary("Change a system's name, address, health check, timeout, retries and limits (credentials are rotated on their own). Live on the next request.")
            .DocumentsProblem(StatusCodes.Status422UnprocessableEntity, "The address may not be called (`upstream.address-refused`).");
        systems.MapDelete("/{systemId}", DeleteAsync).WithName("DeleteUpstream").WithSummary("Remove a system and its routes; its calls answer 404 from the next request on.");
        systems.MapPut("/{systemId}/credentials", RotateCredentialsAsync).WithName("RotateUpstreamCredentials")
            .WithSummary("Replace the credentials the hub presents to the system (a static header, or OAuth2 client credentials); stored encrypted, never shown. Cached upstream tokens are dropped.")
            .DocumentsProblem(StatusCodes.Status422UnprocessableEntity, "The token endpoint may not be called (`upstream.address-refused`).");
        systems.MapPut("/{systemId}/openapi", RegisterDocumentAsync).WithName("RegisterUpstreamDocument")
            .WithSummary("Register the system's OpenAPI document (JSON, 3.0 or 3.1) for the API catalogue. It is checked and stored sanitized: no markup, no scripts, no outside references; servers and security become the hub's.")
            .Accepts<JsonElement>("application/json")
            .DocumentsProblem(StatusCodes.Status413PayloadTooLarge, "The document is larger than `Upstreams:MaxDocumentBytes` (`request.body-too-large`).")
            .DocumentsProblem(StatusCodes.Status422UnprocessableEntity, "Not an OpenAPI document the hub takes (`upstream.document-invalid`); each finding points into it.");
        systems.MapDelete("/{systemId}/openapi", RemoveDocumentAsync).WithName("RemoveUpstreamDocument").WithSummary("Remove the system's OpenAPI document from the catalogue.");
        systems.MapGet("/{systemId}/routes", ListRoutesAsync).WithName("ListUpstreamRoutes").WithSummary("The system's routes.");
        systems.MapPost("/{systemId}/routes", CreateRouteAsync).WithName("CreateUpstreamRoute")
            .WithSummary("Open a path of the system at /upstream/{systemId}{pathPrefix}/… to callers holding one of the route's scopes, in one of its organizations. Live on the next request.")
            .DocumentsProblem(StatusCodes.Status409Conflict, "The system has a route with this id or path prefix (`upstream.route-exists`).");
        systems.MapPut("/{systemId}/routes/{routeId}", UpdateRouteAsync).WithName("UpdateUpstreamRoute")
            .WithSummary("Change a route's path prefix, methods, scopes, organizations and rate limit. Live on the next request.")
            .DocumentsProblem(StatusCodes.Status409Conflict, "Another route of the system has this path prefix (`upstream.route-exists`).");
        systems.MapDelete("/{systemId}/routes/{routeId}", DeleteRouteAsync).WithName("DeleteUpstreamRoute").WithSummary("Close a route: its calls answer 404 from the next request on.");

        app.MapGet("/v1/upstream-calls", ListCallsAsync).WithTags("Upstreams").RequireScope(Scopes.Admin).WithName("ListUpstreamCalls")
            .WithSummary("The audit trail of calls through the gateway, newest first: who called which route, the status, the latency and the bytes either way.");
        return app;
    }

    internal sealed record HealthCheckDto(string? Path, int? IntervalSeconds, int? TimeoutSeconds);

    internal sealed record LimitsDto(long? MaxRequestBytes, long? MaxResponseBytes);

    /// <summary>
    /// The credentials the hub presents. <c>kind</c>: <c>none</c>, <c>header</c> (<c>header</c> and <c>value</c>: an API
    /// key or a fixed Authorization value) or <c>oauth2</c> (<c>tokenEndpoint</c>, <c>clientId</c>, <c>clientSecret</c>, optional <c>scope</c>).
    /// </summary>
    internal sealed record CredentialsRequest(string? Kind, string? Header, string? Value, string? TokenEndpoint, string? ClientId, string? ClientSecret, string? Scope);

    internal sealed record UpstreamRequest(
        string? Id, string? Name, string? BaseAddress, int? TimeoutSeconds, int? Retries, HealthCheckDto? HealthCheck, LimitsDto? Limits, CredentialsRequest? Credentials);

    /// <summary>What is known of the credentials; the secret itself is never answered.</summary>
    internal sealed record CredentialsResponse(string Kind, string? Header, string? TokenEndpoint, string? ClientId, string? Scope, int Version, DateTimeOffset? RotatedAt);

    /// <summary><c>health</c>: <c>healthy</c>, <c>unhealthy</c> or <c>unknown</c> (not checked yet, or no active check).</summary>
    internal sealed record UpstreamResponse(
        string Id, string Name, string BaseAddress, int TimeoutSeconds, int Retries, HealthCheckDto? HealthCheck, LimitsDto Limits,
        CredentialsResponse Credentials, string Health, bool HasDocument, DateTimeOffset? DocumentUpdatedAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

    internal sealed record UpstreamRouteRequest(string? Id, string? PathPrefix, string[]? Methods, string[]? Scopes, string[]? Organizations, int? RequestsPerMinute, string? Description);

    internal sealed record UpstreamRouteResponse(
        string Id, string SystemId, string PathPrefix, string Path, IReadOnlyList<string> Methods, IReadOnlyList<string> Scopes, IReadOnlyList<string> Organizations,
        int RequestsPerMinute, string? Description, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    {
        public static UpstreamRouteResponse From(UpstreamRoute r) =>
            new(r.Id, r.SystemId, r.PathPrefix, PublicPath(r), r.Methods, r.Scopes, r.Organizations, r.RequestsPerMinute, r.Description, r.CreatedAt, r.UpdatedAt);
    }

    internal sealed record UpstreamCallResponse(
        long Id, DateTimeOffset At, string? ClientId, string? OrganizationId, string SystemId, string RouteId, string Method, string Path, int Status, string Outcome,
        double DurationMs, long RequestBytes, long ResponseBytes, string RequestId);

    /// <summary>Where callers reach a route: <c>/upstream/{system}{prefix}</c>.</summary>
    public static string PublicPath(UpstreamRoute route) => $"{UpstreamTable.PathPrefix}/{route.SystemId}{route.PathPrefix.TrimEnd('/')}";

    private static async Task<Results<Created<UpstreamResponse>, ProblemHttpResult>> CreateAsync(
        UpstreamRequest request, HubDb db, UpstreamTable table, UpstreamSecrets secrets, [FromKeyedServices(UpstreamKey)] WebhookAddressPolicy addresses,
        IProxyStateLookup proxy, TimeProvider time, HttpContext context)
    {
        var check = new RequestValidator();
        check.Text(request.Id, "/id", Patterns.OrganizationId(), "An id of 2 to 64 lower-case letters, digits and hyphens.");
        var now = time.GetUtcNow();
        var system = new UpstreamSystem { Id = request.Id ?? "", Name = "", BaseAddress = "", CreatedAt = now, UpdatedAt = now };
        Apply(request, system, check);
        var credentials = Credentials(request.Credentials ?? new CredentialsRequest("none", null, null, null, null, null, null), "/credentials", check);
        if (check.Failed)
        {
            return check.Problem(context);
        }
        if (await RefuseAsync(addresses, system.BaseAddress, credentials.TokenEndpoint, context) is { } refused)
        {
            return refused;
        }
        if (await db.UpstreamSystems.AnyAsync(s => s.Id == system.Id, context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.UpstreamExists, $"An upstream system '{system.Id}' already exists.");
        }
        SetCredentials(system, credentials, secrets, now);
        db.UpstreamSystems.Add(system);
        db.Record(now, context.Caller().ClientId, "upstream.create", system.Id, new { system.Name, system.BaseAddress, credentials = system.CredentialKind.ToWire() });
        await db.SaveChangesAsync(context.RequestAborted);
        await table.ChangedAsync(context.RequestAborted);
        return TypedResults.Created($"/v1/upstreams/{system.Id}", Response(system, proxy));
    }

    private static async Task<Ok<List<UpstreamResponse>>> ListAsync(HubDb db, IProxyStateLookup proxy, HttpContext context)
    {
        var systems = await db.UpstreamSystems.AsNoTracking().OrderBy(s => s.Id).ToListAsync(context.RequestAborted);
        return TypedResults.Ok(systems.Select(s => Response(s, proxy)).ToList());
    }

    private static async Task<Results<Ok<UpstreamResponse>, ProblemHttpResult>> GetAsync(string systemId, HubDb db, IProxyStateLookup proxy, HttpContext context) =>
        await db.UpstreamSystems.AsNoTracking().FirstOrDefaultAsync(s => s.Id == systemId, context.RequestAborted) is { } system
            ? TypedResults.Ok(Response(system, proxy))
            : NotFound(context, systemId);

    private static async Task<Results<Ok<UpstreamResponse>, ProblemHttpResult>> UpdateAsync(
        string systemId, UpstreamRequest request, HubDb db, UpstreamTable table, [FromKeyedServices(UpstreamKey)] WebhookAddressPolicy addresses,
        IProxyStateLookup proxy, TimeProvider time, HttpContext context)
    {
        var system = await db.UpstreamSystems.FirstOrDefaultAsync(s => s.Id == systemId, context.RequestAborted);
        if (system is null)
        {
            return NotFound(context, systemId);
        }
        var check = new RequestValidator();
        if (request.Id is not null && request.Id != systemId)
        {
            check.Add(ErrorCodes.InvalidValue, "/id", "A system's id does not change.");
        }
        if (request.Credentials is not null)
        {
            check.Add(ErrorCodes.UnknownField, "/credentials", $"Rotate credentials with PUT /v1/upstreams/{systemId}/credentials.");
        }
        Apply(request, system, check);
        if (check.Failed)
        {
            return check.Problem(context);
        }
        if (await RefuseAsync(addresses, system.BaseAddress, null, context) is { } refused)
        {
            return refused;
        }
        system.UpdatedAt = time.GetUtcNow();
        db.Record(system.UpdatedAt, context.Caller().ClientId, "upstream.update", systemId, new { system.Name, system.BaseAddress, system.Timeout, system.Retries, system.HealthPath });
        await db.SaveChangesAsync(context.RequestAborted);
        await table.ChangedAsync(context.RequestAborted);
        return TypedResults.Ok(Response(system, proxy));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string systemId, HubDb db, UpstreamTable table, TimeProvider time, HttpContext context)
    {
        var system = await db.UpstreamSystems.FirstOrDefaultAsync(s => s.Id == systemId, context.RequestAborted);
        if (system is null)
        {
            return NotFound(context, systemId);
        }
        db.UpstreamRoutes.RemoveRange(db.UpstreamRoutes.Where(r => r.SystemId == systemId));
        db.UpstreamSystems.Remove(system);
        db.Record(time.GetUtcNow(), context.Caller().ClientId, "upstream.delete", systemId);
        await db.SaveChangesAsync(context.RequestAborted);
        await table.ChangedAsync(context.RequestAborted);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<UpstreamResponse>, ProblemHttpResult>> RotateCredentialsAsync(
        string systemId, CredentialsRequest request, HubDb db, UpstreamTable table, UpstreamSecrets secrets,
        [FromKeyedServices(UpstreamKey)] WebhookAddressPolicy addresses, IProxyStateLookup proxy, TimeProvider time, HttpContext context)
    {
        var system = await db.UpstreamSystems.FirstOrDefaultAsync(s => s.Id == systemId, context.RequestAborted);
        if (system is null)
        {
            return NotFound(context, systemId);
        }
        var check = new RequestValidator();
        var credentials = Credentials(request, "", check);
        if (check.Failed)
        {
            return check.Problem(context);
        }
        if (await RefuseAsync(addresses, null, credentials.TokenEndpoint, context) is { } refused)
        {
            return refused;
        }
        var now = time.GetUtcNow();
        SetCredentials(system, credentials, secrets, now);
        system.UpdatedAt = now;
        db.Record(now, context.Caller().ClientId, "upstream.rotate-credentials", systemId, new { kind = system.CredentialKind.ToWire(), version = system.CredentialVersion });
        await db.SaveChangesAsync(context.RequestAborted);
        await table.ChangedAsync(context.RequestAborted);
        return TypedResults.Ok(Response(system, proxy));
    }

    private static async Task<Results<Ok<UpstreamResponse>, ProblemHttpResult>> RegisterDocumentAsync(
        string systemId, HubDb db, IProxyStateLookup proxy, IOptions<UpstreamOptions> options, TimeProvider time, HttpContext context)
    {
        var system = await db.UpstreamSystems.FirstOrDefaultAsync(s => s.Id == systemId, context.RequestAborted);
        if (system is null)
        {
            return NotFound(context, systemId);
        }
        if (!(context.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) ?? false))
        {
            return ProblemResults.Problem(context, ErrorCodes.UnsupportedMediaType, "Send the OpenAPI document as application/json.");
        }
        if (context.Request.ContentLength > options.Value.MaxDocumentBytes)
        {
            return ProblemResults.Problem(context, ErrorCodes.BodyTooLarge, $"The document has {context.Request.ContentLength} bytes; the limit is {options.Value.MaxDocumentBytes}.");
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = options.Value.MaxDocumentBytes;
        }
        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var (document, findings) = UpstreamDocuments.Check(body.RootElement, systemId);
        if (document is null)
        {
            return ProblemResults.Problem(context, ErrorCodes.UpstreamDocumentInvalid, $"{findings.Count} problem(s) in the document.", findings);
        }
        var now = time.GetUtcNow();
        system.OpenApiDocument = document.ToJsonString();
        system.OpenApiUpdatedAt = now;
        db.Record(now, context.Caller().ClientId, "upstream.register-document", systemId, new { title = document["info"]?["title"]?.ToString(), bytes = system.OpenApiDocument.Length });
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.Ok(Response(system, proxy));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveDocumentAsync(string systemId, HubDb db, TimeProvider time, HttpContext context)
    {
        var system = await db.UpstreamSystems.FirstOrDefaultAsync(s => s.Id == systemId, context.RequestAborted);
        if (system is null)
        {
            return NotFound(context, systemId);
        }
        system.OpenApiDocument = null;
        system.OpenApiUpdatedAt = null;
        db.Record(time.GetUtcNow(), context.Caller().ClientId, "upstream.remove-document", systemId);
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<List<UpstreamRouteResponse>>, ProblemHttpResult>> ListRoutesAsync(string systemId, HubDb db, HttpContext context)
    {
        if (!await db.UpstreamSystems.AnyAsync(s => s.Id == systemId, context.RequestAborted))
        {
            return NotFound(context, systemId);
        }
        var routes = await db.UpstreamRoutes.AsNoTracking().Where(r => r.SystemId == systemId).OrderBy(r => r.PathPrefix).ToListAsync(context.RequestAborted);
        return TypedResults.Ok(routes.Select(UpstreamRouteResponse.From).ToList());
    }

    private static async Task<Results<Created<UpstreamRouteResponse>, ProblemHttpResult>> CreateRouteAsync(
        string systemId, UpstreamRouteRequest request, HubDb db, UpstreamTable table, TimeProvider time, HttpContext context)
    {
        if (!await db.UpstreamSystems.AnyAsync(s => s.Id == systemId, context.RequestAborted))
        {
            return NotFound(context, systemId);
        }
        var check = new RequestValidator();
        check.Text(request.Id, "/id", Patterns.OrganizationId(), "An id of 2 to 64 lower-case letters, digits and hyphens.");
        var now = time.GetUtcNow();
        var route = new UpstreamRoute { SystemId = systemId, Id = request.Id ?? "", PathPrefix = "", Methods = [], Scopes = [], Organizations = [], CreatedAt = now, UpdatedAt = now };
        await ApplyAsync(request, route, db, check, context.RequestAborted);
        if (check.Failed)
        {
            return check.Problem(context);
        }
        if (await db.UpstreamRoutes.AnyAsync(r => r.SystemId == systemId && (r.Id == route.Id || r.PathPrefix == route.PathPrefix), context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.UpstreamRouteExists, $"System '{systemId}' already has a route '{route.Id}' or a route at '{route.PathPrefix}'.");
        }
        db.UpstreamRoutes.Add(route);
        db.Record(now, context.Caller().ClientId, "upstream.route-create", $"{systemId}/{route.Id}", new { route.PathPrefix, route.Methods, route.Scopes, route.Organizations, route.RequestsPerMinute });
        await db.SaveChangesAsync(context.RequestAborted);
        await table.ChangedAsync(context.RequestAborted);
        return TypedResults.Created($"/v1/upstreams/{systemId}/routes/{route.Id}", UpstreamRouteResponse.From(route));
    }

    private static async Task<Results<Ok<UpstreamRouteResponse>, ProblemHttpResult>> UpdateRouteAsync(
        string systemId, string routeId, UpstreamRouteRequest request, HubDb db, UpstreamTable table, TimeProvider time, HttpContext context)
    {
        var route = await db.UpstreamRoutes.FirstOrDefaultAsync(r => r.SystemId == systemId && r.Id == routeId, context.RequestAborted);
        if (route is null)
        {
            return RouteNotFound(context, systemId, routeId);
        }
        var check = new RequestValidator();
        if (request.Id is not null && request.Id != routeId)
        {
            check.Add(ErrorCodes.InvalidValue, "/id", "A route's id does not change.");
        }
        await ApplyAsync(request, route, db, check, context.RequestAborted);
        if (check.Failed)
        {
            return check.Problem(context);
        }
        if (await db.UpstreamRoutes.AnyAsync(r => r.SystemId == systemId && r.Id != routeId && r.PathPrefix == route.PathPrefix, context.RequestAborted))
        {
            return ProblemResults.Problem(context, ErrorCodes.UpstreamRouteExists, $"System '{systemId}' already has a route at '{route.PathPrefix}'.");
        }
        route.UpdatedAt = time.GetUtcNow();
        db.Record(route.UpdatedAt, context.Caller().ClientId, "upstream.route-update", $"{systemId}/{routeId}", new { route.PathPrefix, route.Methods, route.Scopes, route.Organizations, route.RequestsPerMinute });
        await db.SaveChangesAsync(context.RequestAborted);
        await table.ChangedAsync(context.RequestAborted);
        return TypedResults.Ok(UpstreamRouteResponse.From(route));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteRouteAsync(
        string systemId, string routeId, HubDb db, UpstreamTable table, TimeProvider time, HttpContext context)
    {
        var route = await db.UpstreamRoutes.FirstOrDefaultAsync(r => r.SystemId == systemId && r.Id == routeId, context.RequestAborted);
        if (route is null)
        {
            return RouteNotFound(context, systemId, routeId);
        }
        db.UpstreamRoutes.Remove(route);
        db.Record(time.GetUtcNow(), context.Caller().ClientId, "upstream.route-delete", $"{systemId}/{routeId}");
        await db.SaveChangesAsync(context.RequestAborted);
        await table.ChangedAsync(context.RequestAborted);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<Page<UpstreamCallResponse>>, ProblemHttpResult>> ListCallsAsync(
        HubDb db, HttpContext context, string? system = null, string? route = null, string? client = null, int? limit = null, string? cursor = null)
    {
        if (!Cursors.TryDecodeId(cursor, long.MaxValue, out var before))
        {
            return ProblemResults.Problem(context, ErrorCodes.InvalidCursor);
        }
        var take = Cursors.Limit(limit);
        var query = db.UpstreamCalls.AsNoTracking().Where(c => c.Id < before);
        if (system is not null)
        {
            query = query.Where(c => c.SystemId == system);
        }
        if (route is not null)
        {
            query = query.Where(c => c.RouteId == route);
        }
        if (client is not null)
        {
            query = query.Where(c => c.ClientId == client);
        }
        var calls = await query.OrderByDescending(c => c.Id).Take(take + 1).ToListAsync(context.RequestAborted);
        var next = calls.Count > take ? Cursors.Encode(calls[take - 1].Id) : null;
        return TypedResults.Ok(new Page<UpstreamCallResponse>(
            [.. calls.Take(take).Select(c => new UpstreamCallResponse(
                c.Id, c.At, c.ClientId, c.OrganizationId, c.SystemId, c.RouteId, c.Method, c.Path, c.Status, c.Outcome, c.DurationMs, c.RequestBytes, c.ResponseBytes, c.RequestId))],
            next));
    }

    /// <summary>Checks and applies everything but the id and the credentials; defaults fill what a new system leaves out.</summary>
    private static void Apply(UpstreamRequest request, UpstreamSystem system, RequestValidator check)
    {
        check.Text(request.Name, "/name", Patterns.Name(), "A name of 1 to 200 characters, without leading or trailing spaces.");
        system.Name = request.Name ?? system.Name;
        if (request.BaseAddress is null)
        {
            check.Add(ErrorCodes.MissingField, "/baseAddress", "'baseAddress' is required.");
        }
        else if (request.BaseAddress.Length > UpstreamOptions.MaxUrlLength || !Uri.TryCreate(request.BaseAddress, UriKind.Absolute, out var address)
            || (address.Scheme != Uri.UriSchemeHttps && address.Scheme != Uri.UriSchemeHttp) || !string.IsNullOrEmpty(address.Query) || !string.IsNullOrEmpty(address.Fragment))
        {
            check.Add(ErrorCodes.InvalidValue, "/baseAddress", $"An absolute http(s) URL of at most {UpstreamOptions.MaxUrlLength} characters, without query or fragment.");
        }
        else
        {
            system.BaseAddress = address.GetLeftPart(UriPartial.Path).TrimEnd('/');
        }
        system.Timeout = TimeSpan.FromSeconds(Between(check, request.TimeoutSeconds, "/timeoutSeconds", 1, 300, 30));
        system.Retries = Between(check, request.Retries, "/retries", 0, 5, 2);
        var health = request.HealthCheck;
        if (health?.Path is { } path && !HealthPath().IsMatch(path))
        {
            check.Add(ErrorCodes.InvalidValue, "/healthCheck/path", "A path starting with '/', of at most 256 characters, without spaces.");
        }
        system.HealthPath = health?.Path;
        system.HealthInterval = TimeSpan.FromSeconds(Between(check, health?.IntervalSeconds, "/healthCheck/intervalSeconds", 1, 3600, 30));
        system.HealthTimeout = TimeSpan.FromSeconds(Between(check, health?.TimeoutSeconds, "/healthCheck/timeoutSeconds", 1, 60, 5));
        system.MaxRequestBytes = Between(check, request.Limits?.MaxRequestBytes, "/limits/maxRequestBytes", 0, 100L * 1024 * 1024, 10L * 1024 * 1024);
        system.MaxResponseBytes = Between(check, request.Limits?.MaxResponseBytes, "/limits/maxResponseBytes", 1024, 100L * 1024 * 1024, 10L * 1024 * 1024);
    }

    private sealed record CheckedCredentials(UpstreamCredentialKind Kind, string? Header, string? Secret, string? TokenEndpoint, string? ClientId, string? Scope);

    private static CheckedCredentials Credentials(CredentialsRequest request, string at, RequestValidator check)
    {
        if (!WireNames.TryParse<UpstreamCredentialKind>(request.Kind, out var kind))
        {
            check.Add(request.Kind is null ? ErrorCodes.MissingField : ErrorCodes.InvalidValue, at + "/kind", "One of none, header or oauth2.");
            return new(UpstreamCredentialKind.None, null, null, null, null, null);
        }
        void Required(string? value, string member, bool needed)
        {
            if (needed && string.IsNullOrEmpty(value))
            {
                check.Add(ErrorCodes.MissingField, $"{at}/{member}", $"Credentials of kind {kind.ToWire()} need '{member}'.");
            }
            else if (!needed && value is not null)
            {
                check.Add(ErrorCodes.UnknownField, $"{at}/{member}", $"Credentials of kind {kind.ToWire()} have no '{member}'.");
            }
        }
        Required(request.Header, "header", kind == UpstreamCredentialKind.Header);
        Required(request.Value, "value", kind == UpstreamCredentialKind.Header);
        Required(request.TokenEndpoint, "tokenEndpoint", kind == UpstreamCredentialKind.OAuth2);
        Required(request.ClientId, "clientId", kind == UpstreamCredentialKind.OAuth2);
        Required(request.ClientSecret, "clientSecret", kind == UpstreamCredentialKind.OAuth2);
        if (kind != UpstreamCredentialKind.OAuth2)
        {
            Required(request.Scope, "scope", false);
        }
        if (request.Header is { } header && (!HeaderName().IsMatch(header) || ReservedHeaders.Contains(header)))
        {
            check.Add(ErrorCodes.InvalidValue, at + "/header", "An HTTP header name (a token of at most 128 characters) other than the request's framing and the hub's own headers.");
        }
        if (request.Value is { } value && (value.Length > 4096 || value.Any(c => c < ' ' || c == '\u007f')))
        {
            check.Add(ErrorCodes.InvalidValue, at + "/value", "A header value of at most 4096 characters, without control characters.");
        }
        if (request.TokenEndpoint is { } endpoint && (endpoint.Length > UpstreamOptions.MaxUrlLength || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)))
        {
            check.Add(ErrorCodes.InvalidValue, at + "/tokenEndpoint", $"An absolute http(s) URL of at most {UpstreamOptions.MaxUrlLength} characters.");
        }
        if (request.ClientId?.Length > 256 || request.ClientSecret?.Length > 4096 || request.Scope?.Length > 1024)
        {
            check.Add(ErrorCodes.InvalidValue, at, "A client id of at most 256 characters, a secret of at most 4096 and a scope of at most 1024.");
        }
        return new(kind, request.Header, kind == UpstreamCredentialKind.Header ? request.Value : request.ClientSecret, request.TokenEndpoint, request.ClientId, request.Scope);
    }

    private static void SetCredentials(UpstreamSystem system, CheckedCredentials credentials, UpstreamSecrets secrets, DateTimeOffset now)
    {
        system.CredentialKind = credentials.Kind;
        system.CredentialHeader = credentials.Header;
        system.TokenEndpoint = credentials.TokenEndpoint;
        system.ClientId = credentials.ClientId;
        system.TokenScope = credentials.Scope;
        system.ProtectedSecret = credentials.Secret is null ? null : secrets.Protect(system.Id, credentials.Secret);
        system.CredentialVersion++;
        system.CredentialsRotatedAt = now;
    }

    /// <summary>UPS-003: an upstream and its token endpoint are called under the webhooks' address rules, with the gateway's own allow-list.</summary>
    private static async Task<ProblemHttpResult?> RefuseAsync(WebhookAddressPolicy addresses, string? baseAddress, string? tokenEndpoint, HttpContext context)
    {
        foreach (var (url, member) in new[] { (baseAddress, "baseAddress"), (tokenEndpoint, "tokenEndpoint") })
        {
            if (url is not null && await addresses.RefuseAsync(new Uri(url), context.RequestAborted) is { } refusal)
            {
                return ProblemResults.Problem(context, ErrorCodes.UpstreamAddressRefused, $"{member}: {refusal}");
            }
        }
        return null;
    }

    private static async Task ApplyAsync(UpstreamRouteRequest request, UpstreamRoute route, HubDb db, RequestValidator check, CancellationToken cancellationToken)
    {
        if (request.PathPrefix is null)
        {
            check.Add(ErrorCodes.MissingField, "/pathPrefix", "'pathPrefix' is required ('/' opens the whole system).");
        }
        else if (request.PathPrefix.Length > 256 || !PathPrefix().IsMatch(request.PathPrefix) || request.PathPrefix.Split('/').Any(s => s is "." or ".."))
        {
            check.Add(ErrorCodes.InvalidValue, "/pathPrefix", "A path of literal segments starting with '/' (letters, digits, '.', '_', '~', '-'), at most 256 characters.");
        }
        else
        {
            route.PathPrefix = request.PathPrefix.Length > 1 ? request.PathPrefix.TrimEnd('/') : "/";
        }
        var methods = request.Methods ?? ["GET"];
        for (var i = 0; i < methods.Length; i++)
        {
            if (!Methods.Contains(methods[i], StringComparer.Ordinal))
            {
                check.Add(ErrorCodes.InvalidValue, $"/methods/{i}", $"One of {string.Join(", ", Methods)}.");
            }
        }
        if (methods.Length == 0)
        {
            check.Add(ErrorCodes.InvalidValue, "/methods", "At least one method.");
        }
        route.Methods = [.. methods.Distinct(StringComparer.Ordinal)];
        var scopes = request.Scopes ?? [IntegrationHub.Conformance.Spec.Scopes.UpstreamsCall];
        for (var i = 0; i < scopes.Length; i++)
        {
            if (!IntegrationHub.Conformance.Spec.Scopes.All.Contains(scopes[i]))
            {
                check.Add(ErrorCodes.InvalidValue, $"/scopes/{i}", $"'{scopes[i]}' is not a scope; use {string.Join(", ", IntegrationHub.Conformance.Spec.Scopes.All)}.");
            }
        }
        if (scopes.Length == 0)
        {
            check.Add(ErrorCodes.InvalidValue, "/scopes", "At least one scope: a caller must hold one of them.");
        }
        route.Scopes = [.. scopes.Distinct(StringComparer.Ordinal)];
        if (request.Organizations is not { Length: > 0 } organizations)
        {
            check.Add(ErrorCodes.MissingField, "/organizations", "The organizations whose clients may call the route, or [\"*\"] for every organization.");
        }
        else if (organizations.Contains(AnyOrganization))
        {
            if (organizations.Length > 1)
            {
                check.Add(ErrorCodes.InvalidValue, "/organizations", "\"*\" stands alone: it admits every organization.");
            }
            route.Organizations = [AnyOrganization];
        }
        else
        {
            var known = await db.Organizations.Where(o => organizations.Contains(o.Id)).Select(o => o.Id).ToListAsync(cancellationToken);
            for (var i = 0; i < organizations.Length; i++)
            {
                if (!known.Contains(organizations[i]))
                {
                    check.Add(ErrorCodes.InvalidValue, $"/organizations/{i}", $"No organization '{organizations[i]}'.");
                }
            }
            route.Organizations = [.. organizations.Distinct(StringComparer.Ordinal)];
        }
        route.RequestsPerMinute = Between(check, request.RequestsPerMinute, "/requestsPerMinute", 1, 1_000_000, 600);
        if (request.Description is { Length: > 500 })
        {
            check.Add(ErrorCodes.InvalidValue, "/description", "At most 500 characters.");
        }
        route.Description = request.Description;
    }

    private static T Between<T>(RequestValidator check, T? value, string pointer, T min, T max, T fallback)
        where T : struct, IComparable<T>
    {
        if (value is { } v && (v.CompareTo(min) < 0 || v.CompareTo(max) > 0))
        {
            check.Add(ErrorCodes.InvalidValue, pointer, $"Must be between {min} and {max}.");
            return fallback;
        }
        return value ?? fallback;
    }

    private static UpstreamResponse Response(UpstreamSystem s, IProxyStateLookup proxy) => new(
        s.Id, s.Name, s.BaseAddress, (int)s.Timeout.TotalSeconds, s.Retries,
        s.HealthPath is null ? null : new HealthCheckDto(s.HealthPath, (int)s.HealthInterval.TotalSeconds, (int)s.HealthTimeout.TotalSeconds),
        new LimitsDto(s.MaxRequestBytes, s.MaxResponseBytes),
        new CredentialsResponse(s.CredentialKind.ToWire(), s.CredentialHeader, s.TokenEndpoint, s.ClientId, s.TokenScope, s.CredentialVersion, s.CredentialsRotatedAt),
        Health(s.Id, proxy), s.OpenApiDocument is not null, s.OpenApiUpdatedAt, s.CreatedAt, s.UpdatedAt);

    /// <summary>The system's health as the proxy knows it: a failed active or passive check makes it unhealthy.</summary>
    public static string Health(string systemId, IProxyStateLookup proxy)
    {
        if (!proxy.TryGetCluster(systemId, out var cluster) || cluster.Destinations.IsEmpty)
        {
            return "unknown";
        }
        var health = cluster.Destinations.Values.Select(d => d.Health).ToList();
        return health.Any(h => h.Active == DestinationHealth.Unhealthy || h.Passive == DestinationHealth.Unhealthy) ? "unhealthy"
            : health.Any(h => h.Active == DestinationHealth.Healthy) ? "healthy"
            : "unknown";
    }

    private static ProblemHttpResult NotFound(HttpContext context, string systemId) =>
        ProblemResults.Problem(context, ErrorCodes.UpstreamNotFound, $"No upstream system '{systemId}'.");

    private static ProblemHttpResult RouteNotFound(HttpContext context, string systemId, string routeId) =>
        ProblemResults.Problem(context, ErrorCodes.UpstreamRouteNotFound, $"No route '{routeId}' on upstream system '{systemId}'.");

    [GeneratedRegex(@"^/([A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*)?/?$")]
    private static partial Regex PathPrefix();

    [GeneratedRegex(@"^/[\x21-\x7e]{0,255}$")]
    private static partial Regex HealthPath();

    // An RFC 9110 token.
    [GeneratedRegex(@"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$")]
    private static partial Regex HeaderName();
}
