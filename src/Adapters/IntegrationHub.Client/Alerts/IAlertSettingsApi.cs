using IntegrationHub.Client.Administration;
using IntegrationHub.Client.Telemetry;
using Refit;

namespace IntegrationHub.Client.Alerts;

/// <summary>
/// What shapes a device's alerts (scope <c>alerts:manage</c>): maintenance windows, during which it raises none, and
/// the site parameters its profile's rules read (per device, per device group, per district). An organization manages
/// its own devices and groups; district-wide parameters are the operator's. Every change is audited. Reads are retried
/// on transient failures; changes are not.
/// </summary>
public interface IAlertSettingsApi
{
    /// <summary>Opens a bounded maintenance window on a device.</summary>
    [Post("/v1/organizations/{organizationId}/devices/{deviceId}/maintenance")]
    Task<MaintenanceWindow> OpenMaintenanceAsync(string organizationId, string deviceId, [Body] MaintenanceRequest request, CancellationToken cancellationToken = default);

    /// <summary>The device's current and future maintenance windows, earliest first.</summary>
    [Get("/v1/organizations/{organizationId}/devices/{deviceId}/maintenance")]
    Task<IReadOnlyList<MaintenanceWindow>> ListMaintenanceAsync(string organizationId, string deviceId, CancellationToken cancellationToken = default);

    /// <summary>Ends a maintenance window now.</summary>
    [Delete("/v1/organizations/{organizationId}/devices/{deviceId}/maintenance/{windowId}")]
    Task EndMaintenanceAsync(string organizationId, string deviceId, long windowId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The devices the caller may see (scope <c>alerts:read</c>) that have warning levels which cannot be raised because
    /// a site parameter has no value, each with its <see cref="Device.Warnings"/>; filtered by domain, profile, district
    /// (a city code covers its districts) and organization. Set the parameter to take a device off the list.
    /// </summary>
    [Get("/v1/devices/inactive-levels")]
    Task<Page<Device>> ListDevicesWithInactiveLevelsAsync(
        string? domain = null, string? profile = null, string? district = null, string? organization = null, int? limit = null, string? cursor = null,
        CancellationToken cancellationToken = default);

    /// <summary>Replaces a device's own site parameters; answers with the device and the warnings that remain.</summary>
    [Put("/v1/organizations/{organizationId}/devices/{deviceId}/parameters")]
    Task<Device> SetDeviceParametersAsync(string organizationId, string deviceId, [Body] DeviceParametersRequest request, CancellationToken cancellationToken = default);

    /// <summary>Sets (creates or replaces) the parameters of a district or a device group for one profile.</summary>
    [Put("/v1/parameter-overrides")]
    Task<ParameterOverride> SetParameterOverrideAsync([Body] ParameterOverrideRequest request, CancellationToken cancellationToken = default);

    /// <summary>The district overrides, and the caller's organization's group overrides (the operator sees all).</summary>
    [Get("/v1/parameter-overrides")]
    Task<IReadOnlyList<ParameterOverride>> ListParameterOverridesAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes an override; its devices fall back to the next level.</summary>
    [Delete("/v1/parameter-overrides/{overrideId}")]
    Task DeleteParameterOverrideAsync(long overrideId, CancellationToken cancellationToken = default);
}
