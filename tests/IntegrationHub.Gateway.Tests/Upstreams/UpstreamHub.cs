using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;

namespace IntegrationHub.Gateway.Tests.Upstreams;

/// <summary>
/// A hub whose gateway may call systems on loopback: the tests' upstreams are real Kestrel servers on ephemeral loopback
/// ports, which the address rules refuse unless the operator allow-lists them (as the webhook tests do).
/// </summary>
public sealed class UpstreamHubFixture : IAsyncLifetime
{
    public static Dictionary<string, string?> Settings() => new() { ["Upstreams:AllowedHosts:0"] = "127.0.0.1" };

    public HubFactory Hub { get; } = new(null, Settings());

    public ValueTask InitializeAsync()
    {
        Hub.StartServer();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await Hub.DisposeAsync();
}

/// <summary>What the gateway's tests do over and over: register systems and routes as the operator, and call through the hub as a tenant.</summary>
internal static class Upstreaming
{
    /// <summary>The upstream's origin (scheme, host, port), to register as a base address.</summary>
    public static string Origin(this WebhookReceiver upstream) => upstream.Url.GetLeftPart(UriPartial.Authority);

    /// <summary>Registers a system as the operator; <paramref name="settings"/> adds or replaces members of the request.</summary>
    public static async Task<JsonNode> RegisterSystemAsync(this HttpClient admin, string id, string baseAddress, object? credentials = null, Action<JsonObject>? settings = null)
    {
        var request = new JsonObject
        {
            ["id"] = id,
            ["name"] = $"System {id}",
            ["baseAddress"] = baseAddress,
            ["timeoutSeconds"] = 5,
            ["credentials"] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(credentials ?? new { kind = "header", header = "X-Api-Key", value = "upstream-key-" + id })),
        };
        settings?.Invoke(request);
        using var response = await admin.PostAsJsonAsync("/v1/upstreams", request);
        return await response.ShouldBeAsync(HttpStatusCode.Created);
    }

    public static async Task<JsonNode> AddRouteAsync(this HttpClient admin, string systemId, string routeId, string pathPrefix, string[] organizations,
        string[]? methods = null, string[]? scopes = null, int? requestsPerMinute = null)
    {
        using var response = await admin.PostAsJsonAsync($"/v1/upstreams/{systemId}/routes",
            new { id = routeId, pathPrefix, methods, scopes, organizations, requestsPerMinute });
        return await response.ShouldBeAsync(HttpStatusCode.Created);
    }

    /// <summary>An organization with one adapter holding <paramref name="scopes"/>; returns a client with its token.</summary>
    public static async Task<HttpClient> CallerAsync(this HubFactory hub, string organizationId, params string[] scopes)
    {
        using var admin = await hub.AdminAsync();
        await admin.CreateOrganizationAsync(organizationId);
        var (id, secret) = await admin.CreateAdapterAsync(organizationId, organizationId + "-adapter", scopes: scopes.Length == 0 ? ["upstreams:call"] : scopes);
        return hub.As(await hub.TokenAsync(id, secret));
    }
}
