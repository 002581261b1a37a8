using System.Text.Json;
using Refit;

namespace IntegrationHub.Client.Specs;

/// <summary>The exchange spec as the hub enforces it (<c>/specs/v1</c>, public).</summary>
public interface ISpecsApi
{
    [Get("/specs/v1/")]
    Task<SpecIndex> GetIndexAsync(CancellationToken cancellationToken = default);

    [Get("/specs/v1/profiles")]
    Task<IReadOnlyList<ProfileSummary>> ListProfilesAsync(CancellationToken cancellationToken = default);

    /// <summary>One device profile document, as published.</summary>
    [Get("/specs/v1/profiles/{profileId}")]
    Task<JsonElement> GetProfileAsync(string profileId, CancellationToken cancellationToken = default);

    /// <summary>One JSON Schema, by file name (e.g. <c>telemetry-message.schema.json</c>).</summary>
    [Get("/specs/v1/schemas/{name}")]
    Task<JsonElement> GetSchemaAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Any file of the spec by its path in <c>specs/</c>, as text: <c>openapi/openapi.json</c>,
    /// <c>asyncapi/asyncapi.yaml</c>, <c>requirements.json</c>, <c>rules.md</c>, <c>examples/…</c>.
    /// </summary>
    [Get("/specs/v1/{**path}")]
    Task<string> GetSpecFileAsync(string path, CancellationToken cancellationToken = default);

    [Get("/specs/v1/errors")]
    Task<ErrorCatalogue> GetErrorCatalogueAsync(CancellationToken cancellationToken = default);

    [Get("/specs/v1/errors/{code}")]
    Task<ErrorDescriptor> GetErrorAsync(string code, CancellationToken cancellationToken = default);
}
