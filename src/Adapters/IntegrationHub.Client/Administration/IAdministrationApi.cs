using IntegrationHub.Client.Telemetry;
using Refit;

namespace IntegrationHub.Client.Administration;

/// <summary>
/// The operator's administration (scope <c>admin</c>): organizations, adapters and their promotion, devices, grants and
/// the audit log. An organization manages its own adapters and devices with the same calls (scope <c>organization:manage</c>).
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

    /// <summary>
    /// Promotes a certified adapter to production (operator only; certification itself is <see cref="Certification.ICertificationsApi"/>).
    /// An adapter that is not <c>certified</c> fails with <c>adapter.invalid-transition</c>.
    /// </summary>
    [Post("/v1/adapters/{adapterId}/promotion")]
    Task<Adapter> PromoteAdapterAsync(string adapterId, [Body] NoteRequest request, CancellationToken cancellationToken = default);

    [Post("/v1/adapters/{adapterId}/devices")]
    Task<Device> RegisterDeviceAsync(string adapterId, [Body] RegisterDeviceRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Registers many devices from a CSV file (<see cref="DeviceCsv.Content"/>; header
    /// <c>deviceId,profile,district,lon,lat[,name,group,crs]</c>). All rows or none: a file with any problem registers
    /// nothing and fails with <c>request.validation-failed</c>, every finding pointing at <c>/rows/{n}/{column}</c>.
    /// Also for an organization's own adapters (scope <c>organization:manage</c>).
    /// </summary>
    [Post("/v1/adapters/{adapterId}/devices/import")]
    Task<DeviceImport> ImportDevicesAsync(string adapterId, [Body] HttpContent csv, CancellationToken cancellationToken = default);

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
