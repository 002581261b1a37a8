namespace IntegrationHub.Gateway.Upstreams;

/// <summary>
/// A department's own API behind the hub (gas network control, water SCADA, 12345 work orders): where it is, how the
/// hub checks its health, how long it may take, and the credentials the hub presents to it. The secret part of the
/// credentials is stored protected with ASP.NET Core Data Protection and never leaves the hub.
/// </summary>
internal sealed class UpstreamSystem
{
    public required string Id { get; init; }
    public required string Name { get; set; }

    /// <summary>An absolute http(s) address; a route's path is appended to it.</summary>
    public required string BaseAddress { get; set; }

    /// <summary>How long the upstream may stay silent (connecting, sending, answering) before the call ends in 504.</summary>
    public TimeSpan Timeout { get; set; }

    /// <summary>Further attempts after a failed connection, for idempotent methods only.</summary>
    public int Retries { get; set; }

    /// <summary>The path the hub probes for health (active checks); null switches active checks off.</summary>
    public string? HealthPath { get; set; }

    public TimeSpan HealthInterval { get; set; }
    public TimeSpan HealthTimeout { get; set; }

    public long MaxRequestBytes { get; set; }
    public long MaxResponseBytes { get; set; }

    public UpstreamCredentialKind CredentialKind { get; set; }

    /// <summary>The header that carries a static credential (<see cref="UpstreamCredentialKind.Header"/>).</summary>
    public string? CredentialHeader { get; set; }

    /// <summary>The upstream's OAuth2 token endpoint, client id and scope (<see cref="UpstreamCredentialKind.OAuth2"/>).</summary>
    public string? TokenEndpoint { get; set; }

    public string? ClientId { get; set; }
    public string? TokenScope { get; set; }

    /// <summary>The header value or the client secret, protected with Data Protection; null without credentials.</summary>
    public string? ProtectedSecret { get; set; }

    /// <summary>Counts rotations; cached upstream tokens of an older version are never used.</summary>
    public int CredentialVersion { get; set; }

    public DateTimeOffset? CredentialsRotatedAt { get; set; }

    /// <summary>The upstream's OpenAPI document as the hub sanitized it (JSON), for the API catalogue.</summary>
    public string? OpenApiDocument { get; set; }

    public DateTimeOffset? OpenApiUpdatedAt { get; set; }

    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
}

internal enum UpstreamCredentialKind
{
    /// <summary>The upstream needs nothing from the hub (it trusts the network, or checks the forwarded headers).</summary>
    None,

    /// <summary>A static header: an API key, or a fixed <c>Authorization</c> value.</summary>
    Header,

    /// <summary>OAuth2 client credentials at the upstream's token endpoint; the token is cached until it expires.</summary>
    OAuth2,
}

/// <summary>
/// A path under <c>/upstream/{system}</c> that callers may use: the methods it takes, the scopes one of which the caller
/// must hold, the organizations whose clients may call it, and a rate limit per client.
/// </summary>
internal sealed class UpstreamRoute
{
    public required string SystemId { get; init; }
    public required string Id { get; init; }

    /// <summary>The path prefix, <c>/valves</c>: <c>/upstream/{system}/valves/…</c> goes to <c>{base address}/valves/…</c>.</summary>
    public required string PathPrefix { get; set; }

    public required List<string> Methods { get; set; }
    public required List<string> Scopes { get; set; }

    /// <summary>Organization ids, or <c>*</c> for every organization.</summary>
    public required List<string> Organizations { get; set; }

    public int RequestsPerMinute { get; set; }
    public string? Description { get; set; }

    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>One proxied call in the audit trail: who called which route, what the hub answered, how long it took, how many bytes.</summary>
internal sealed class UpstreamCall
{
    public long Id { get; init; }
    public required DateTimeOffset At { get; init; }
    public string? ClientId { get; init; }
    public string? OrganizationId { get; init; }
    public required string SystemId { get; init; }
    public required string RouteId { get; init; }
    public required string Method { get; init; }

    /// <summary>The path called, without the query (which may carry personal data).</summary>
    public required string Path { get; init; }

    public required int Status { get; init; }

    /// <summary>What happened: <c>proxied</c>, or why not (<c>refused</c>, <c>rate-limited</c>, <c>timeout</c>, <c>unavailable</c>, <c>bad-gateway</c>, …).</summary>
    public required string Outcome { get; init; }

    public required double DurationMs { get; init; }
    public required long RequestBytes { get; init; }
    public required long ResponseBytes { get; init; }
    public required string RequestId { get; init; }
}
