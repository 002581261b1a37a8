using System.Text.Json;
using IntegrationHub.Client.Telemetry;
using Refit;

namespace IntegrationHub.Client.Upstreams;

/// <summary>
/// The upstream gateway: the operator registers department systems behind the hub and opens routes to them (scope
/// <c>admin</c>); any client reads the API catalogue of what its organization may call. The calls themselves go to
/// <c>/upstream/{systemId}/…</c> with the client's own token: use the named client
/// <see cref="IntegrationHubHttpClients.Upstream"/>. Reads are retried on transient failures; changes are not.
/// </summary>
public interface IUpstreamsApi
{
    /// <summary>Registers a system. An address the hub may not call fails with <c>upstream.address-refused</c>; an id in use with <c>upstream.exists</c>.</summary>
    [Post("/v1/upstreams")]
    Task<UpstreamSystem> CreateUpstreamAsync([Body] UpstreamSystemRequest request, CancellationToken cancellationToken = default);

    [Get("/v1/upstreams")]
    Task<IReadOnlyList<UpstreamSystem>> ListUpstreamsAsync(CancellationToken cancellationToken = default);

    [Get("/v1/upstreams/{systemId}")]
    Task<UpstreamSystem> GetUpstreamAsync(string systemId, CancellationToken cancellationToken = default);

    /// <summary>Changes a system's settings (not its credentials: <see cref="RotateUpstreamCredentialsAsync"/>); live on the hub's next request.</summary>
    [Put("/v1/upstreams/{systemId}")]
    Task<UpstreamSystem> UpdateUpstreamAsync(string systemId, [Body] UpstreamSystemRequest request, CancellationToken cancellationToken = default);

    /// <summary>Removes a system with its routes.</summary>
    [Delete("/v1/upstreams/{systemId}")]
    Task DeleteUpstreamAsync(string systemId, CancellationToken cancellationToken = default);

    /// <summary>Replaces the credentials the hub presents to the system. They are stored encrypted and never answered.</summary>
    [Put("/v1/upstreams/{systemId}/credentials")]
    Task<UpstreamSystem> RotateUpstreamCredentialsAsync(string systemId, [Body] UpstreamCredentialsRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Registers the system's OpenAPI document (3.0 or 3.1, JSON) for the catalogue; it is stored sanitized. A document
    /// the hub does not take fails with <c>upstream.document-invalid</c>, each finding pointing into it.
    /// </summary>
    [Put("/v1/upstreams/{systemId}/openapi")]
    Task<UpstreamSystem> RegisterUpstreamDocumentAsync(string systemId, [Body] JsonElement document, CancellationToken cancellationToken = default);

    [Delete("/v1/upstreams/{systemId}/openapi")]
    Task RemoveUpstreamDocumentAsync(string systemId, CancellationToken cancellationToken = default);

    [Get("/v1/upstreams/{systemId}/routes")]
    Task<IReadOnlyList<UpstreamRoute>> ListUpstreamRoutesAsync(string systemId, CancellationToken cancellationToken = default);

    /// <summary>Opens a route; live on the hub's next request. A route id or path prefix in use fails with <c>upstream.route-exists</c>.</summary>
    [Post("/v1/upstreams/{systemId}/routes")]
    Task<UpstreamRoute> CreateUpstreamRouteAsync(string systemId, [Body] UpstreamRouteRequest request, CancellationToken cancellationToken = default);

    [Put("/v1/upstreams/{systemId}/routes/{routeId}")]
    Task<UpstreamRoute> UpdateUpstreamRouteAsync(string systemId, string routeId, [Body] UpstreamRouteRequest request, CancellationToken cancellationToken = default);

    /// <summary>Closes a route: its calls answer 404 from the hub's next request on.</summary>
    [Delete("/v1/upstreams/{systemId}/routes/{routeId}")]
    Task DeleteUpstreamRouteAsync(string systemId, string routeId, CancellationToken cancellationToken = default);

    /// <summary>The audit trail of calls through the gateway, newest first, filtered by system, route and client.</summary>
    [Get("/v1/upstream-calls")]
    Task<Page<UpstreamCall>> ListUpstreamCallsAsync(string? system = null, string? route = null, string? client = null, int? limit = null, string? cursor = null,
        CancellationToken cancellationToken = default);

    /// <summary>The systems and routes the caller's organization may call.</summary>
    [Get("/v1/api-catalogue")]
    Task<ApiCatalogue> GetApiCatalogueAsync(CancellationToken cancellationToken = default);

    /// <summary>A system's sanitized OpenAPI document, cut to the routes the caller's organization may call.</summary>
    [Get("/v1/api-catalogue/{systemId}/openapi")]
    Task<JsonElement> GetApiDocumentAsync(string systemId, CancellationToken cancellationToken = default);
}
