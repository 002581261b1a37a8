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

    [Get("/specs/v1/errors")]
    Task<ErrorCatalogue> GetErrorCatalogueAsync(CancellationToken cancellationToken = default);

    [Get("/specs/v1/errors/{code}")]
    Task<ErrorDescriptor> GetErrorAsync(string code, CancellationToken cancellationToken = default);
}
