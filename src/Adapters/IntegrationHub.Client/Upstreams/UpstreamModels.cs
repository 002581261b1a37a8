namespace IntegrationHub.Client.Upstreams;

/// <summary>How the hub checks a system's health: it probes <see cref="Path"/> every <see cref="IntervalSeconds"/>.</summary>
public sealed record UpstreamHealthCheck(string? Path = null, int? IntervalSeconds = null, int? TimeoutSeconds = null);

/// <summary>The largest request and response bodies the gateway passes to and from a system.</summary>
public sealed record UpstreamLimits(long? MaxRequestBytes = null, long? MaxResponseBytes = null);

/// <summary>
/// The credentials the hub presents to a system. <see cref="Kind"/>: <c>none</c>; <c>header</c> with
/// <see cref="Header"/> and <see cref="Value"/> (an API key, or a fixed Authorization value); or <c>oauth2</c> with
/// <see cref="TokenEndpoint"/>, <see cref="ClientId"/>, <see cref="ClientSecret"/> and an optional <see cref="Scope"/>.
/// </summary>
public sealed record UpstreamCredentialsRequest(
    string Kind, string? Header = null, string? Value = null, string? TokenEndpoint = null, string? ClientId = null, string? ClientSecret = null, string? Scope = null)
{
    public static UpstreamCredentialsRequest None { get; } = new("none");

    public static UpstreamCredentialsRequest ApiKey(string header, string value) => new("header", Header: header, Value: value);

    public static UpstreamCredentialsRequest OAuth2(string tokenEndpoint, string clientId, string clientSecret, string? scope = null) =>
        new("oauth2", TokenEndpoint: tokenEndpoint, ClientId: clientId, ClientSecret: clientSecret, Scope: scope);
}

/// <summary>A system to register or change. Credentials go with a registration only; a change leaves them as they are.</summary>
public sealed record UpstreamSystemRequest(
    string Name, string BaseAddress, string? Id = null, int? TimeoutSeconds = null, int? Retries = null, UpstreamHealthCheck? HealthCheck = null,
    UpstreamLimits? Limits = null, UpstreamCredentialsRequest? Credentials = null);

/// <summary>What is known of a system's credentials; the secret itself is never answered.</summary>
public sealed record UpstreamCredentials(string Kind, string? Header, string? TokenEndpoint, string? ClientId, string? Scope, int Version, DateTimeOffset? RotatedAt);

/// <summary>A department's system behind the hub. <see cref="Health"/> is <c>healthy</c>, <c>unhealthy</c> or <c>unknown</c>.</summary>
public sealed record UpstreamSystem(
    string Id, string Name, string BaseAddress, int TimeoutSeconds, int Retries, UpstreamHealthCheck? HealthCheck, UpstreamLimits Limits,
    UpstreamCredentials Credentials, string Health, bool HasDocument, DateTimeOffset? DocumentUpdatedAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// A route to open or change: <c>/upstream/{systemId}{PathPrefix}/…</c> for the <see cref="Methods"/> (default GET),
/// to callers holding one of the <see cref="Scopes"/> (default <c>upstreams:call</c>) in one of the
/// <see cref="Organizations"/> (<c>*</c> for all), at most <see cref="RequestsPerMinute"/> per client.
/// </summary>
public sealed record UpstreamRouteRequest(
    string PathPrefix, IReadOnlyList<string> Organizations, string? Id = null, IReadOnlyList<string>? Methods = null, IReadOnlyList<string>? Scopes = null,
    int? RequestsPerMinute = null, string? Description = null);

/// <summary>A route; callers reach it at <see cref="Path"/>.</summary>
public sealed record UpstreamRoute(
    string Id, string SystemId, string PathPrefix, string Path, IReadOnlyList<string> Methods, IReadOnlyList<string> Scopes, IReadOnlyList<string> Organizations,
    int RequestsPerMinute, string? Description, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>One call through the gateway, from the audit trail. <see cref="Outcome"/> says why a call ended as it did (<c>proxied</c>, <c>refused</c>, <c>timeout</c>, …).</summary>
public sealed record UpstreamCall(
    long Id, DateTimeOffset At, string? ClientId, string? OrganizationId, string SystemId, string RouteId, string Method, string Path, int Status, string Outcome,
    double DurationMs, long RequestBytes, long ResponseBytes, string RequestId);

/// <summary>What the caller's organization may call through the hub.</summary>
public sealed record ApiCatalogue(IReadOnlyList<CatalogueSystem> Systems);

/// <summary>A system in the catalogue; <see cref="DocumentUrl"/> is its OpenAPI document, when it registered one.</summary>
public sealed record CatalogueSystem(string Id, string Name, string Health, string? DocumentUrl, IReadOnlyList<CatalogueRoute> Routes);

public sealed record CatalogueRoute(string Id, string Path, IReadOnlyList<string> Methods, IReadOnlyList<string> Scopes, int RequestsPerMinute, string? Description);
