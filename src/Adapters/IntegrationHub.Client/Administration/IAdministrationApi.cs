using IntegrationHub.Client.Telemetry;
using Refit;

namespace IntegrationHub.Client.Administration;

/// <summary>
/// The operator's administration (scope <c>admin</c>): organizations, adapters, devices, grants and the audit log.
/// Reads are retried on transient failures; changes are not, since a re-sent change could apply twice.
/// </summary>
public interface IAdministrationApi
{
    [Post("/v1/organizations")]
    Task<Organization> CreateOrganizationAsync([Body] CreateOrganizationRequest request, CancellationToken cancellationToken = default);

    [Get("/v1/organizations")]
    Task<IReadOnlyList<Organization>> ListOrganizationsAsync(CancellationToken cancellationToken = default);

    [Get("/v1/organizations/{organizationId}")]
    Task<Organization> GetOrganizationAsync(string organizationId, CancellationToken cancellationToken = default);

    /// <summary>Registers an adapter; the answer holds its client secret, shown only this once.</summary>
    [Post("/v1/organizations/{organizationId}/adapters")]
    Task<AdapterCredentials> CreateAdapterAsync(string organizationId, [Body] CreateAdapterRequest request, CancellationToken cancellationToken = default);

    [Get("/v1/organizations/{organizationId}/adapters")]
    Task<IReadOnlyList<Adapter>> ListAdaptersAsync(string organizationId, CancellationToken cancellationToken = default);

    [Get("/v1/adapters/{adapterId}")]
    Task<Adapter> GetAdapterAsync(string adapterId, CancellationToken cancellationToken = default);

    /// <summary>Issues a new secret; the old one and every token issued with it stop working at once.</summary>
    [Post("/v1/adapters/{adapterId}/secret")]
    Task<AdapterCredentials> RotateAdapterSecretAsync(string adapterId, CancellationToken cancellationToken = default);

    [Put("/v1/adapters/{adapterId}/status")]
    Task<Adapter> SetAdapterStatusAsync(string adapterId, [Body] SetAdapterStatusRequest request, CancellationToken cancellationToken = default);

    [Post("/v1/adapters/{adapterId}/suspend")]
    Task<Adapter> SuspendAdapterAsync(string adapterId, [Body] NoteRequest request, CancellationToken cancellationToken = default);

    [Post("/v1/adapters/{adapterId}/resume")]
    Task<Adapter> ResumeAdapterAsync(string adapterId, [Body] NoteRequest request, CancellationToken cancellationToken = default);

    [Post("/v1/adapters/{adapterId}/devices")]
    Task<Device> RegisterDeviceAsync(string adapterId, [Body] RegisterDeviceRequest request, CancellationToken cancellationToken = default);

    [Get("/v1/adapters/{adapterId}/devices")]
    Task<Page<Device>> ListDevicesAsync(string adapterId, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default);

    [Post("/v1/grants")]
    Task<Grant> CreateGrantAsync([Body] CreateGrantRequest request, CancellationToken cancellationToken = default);

    [Get("/v1/grants")]
    Task<IReadOnlyList<Grant>> ListGrantsAsync(CancellationToken cancellationToken = default);

    [Delete("/v1/grants/{grantId}")]
    Task RevokeGrantAsync(long grantId, CancellationToken cancellationToken = default);

    /// <summary>The audit log, newest first.</summary>
    [Get("/v1/audit")]
    Task<Page<AuditEntry>> ListAuditAsync(int? limit = null, string? cursor = null, CancellationToken cancellationToken = default);
}
