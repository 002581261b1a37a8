using System.Linq.Expressions;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Telemetry;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Organizations;

/// <summary>
/// Something a device answer asks the caller to act on, without refusing anything. <c>level.inactive</c>: a graded
/// level of the device's profile has a site parameter as its threshold, and the device has no value for it, so the
/// level is never met and never raised (rules.md §2) until the parameter is set. <see cref="Pointer"/> names the
/// parameter in the device's <c>parameters</c>.
/// </summary>
internal sealed record DeviceWarning(string Code, string Pointer, string Rule, string Level, string Parameter, string Detail);

/// <summary>
/// The inactive levels of devices, judged on their effective site parameters (their own, their group's and their
/// district's, as the alert engine reads them), so that setting the parameter at any of those places clears the warning.
/// </summary>
internal sealed class LevelWarnings
{
    public const string InactiveLevel = "level.inactive";

    private readonly SpecCatalog _spec;
    private readonly SiteParameters _site;

    private LevelWarnings(SpecCatalog spec, SiteParameters site) => (_spec, _site) = (spec, site);

    /// <summary>The profiles that have levels a missing parameter leaves inactive; devices of other profiles never get a warning.</summary>
    public static IReadOnlyList<string> ProfilesAtRisk(SpecCatalog spec) =>
        [.. spec.Profiles.Values.Where(p => p.ParameterDependentLevels.Count > 0).Select(p => p.Id)];

    public static async Task<LevelWarnings> LoadAsync(HubDb db, SpecCatalog spec, IReadOnlyCollection<string> profileIds, CancellationToken cancellationToken) =>
        new(spec, await SiteParameters.LoadAsync(db, profileIds, cancellationToken));

    public IReadOnlyList<DeviceWarning> For(Device device)
    {
        if (!_spec.Profiles.TryGetValue(device.ProfileId, out var profile) || profile.ParameterDependentLevels.Count == 0)
        {
            return [];
        }
        var site = _site.For(device.OrganizationId, device.ProfileId, device.District, device.Group, device.Parameters);
        return [.. profile.InactiveLevels(site).Select(inactive => Warning(profile, inactive))];
    }

    private static DeviceWarning Warning(CompiledProfile profile, ParameterDependentLevel inactive)
    {
        var level = inactive.Level.ToWire();
        var parameter = profile.Definition.Parameters[inactive.Parameter];
        return new DeviceWarning(
            InactiveLevel, "/parameters/" + JsonPointers.Escape(inactive.Parameter), inactive.Rule.Id, level, inactive.Parameter,
            $"The {level} level of rule '{inactive.Rule.Id}' ({inactive.Rule.Title}) is inactive: its threshold is the site parameter " +
            $"'{inactive.Parameter}' ({parameter.Title}), which has no default and no value for this device. Set it for the device, " +
            "its group or its district (site parameters), and the level is watched.");
    }
}

/// <summary>
/// A device with what the visibility rules judge it by (DESIGN §7.5): the domain of its profile, spelled out per profile
/// so that the database can filter on it, and whether its adapter is in the sandbox (then it stays in its organization).
/// </summary>
internal sealed class VisibleDevice : IVisibleRow
{
    public required Device Device { get; init; }
    public required string OrganizationId { get; init; }
    public required string Domain { get; init; }
    public required string District { get; init; }
    public required bool Sandbox { get; init; }

    public static IQueryable<VisibleDevice> Query(HubDb db, SpecCatalog spec)
    {
        var device = Expression.Parameter(typeof(Device), "d");
        var adapter = Expression.Parameter(typeof(Adapter), "a");
        var profileId = Expression.Property(device, nameof(Device.ProfileId));
        Expression domain = Expression.Constant("");
        foreach (var profile in spec.Profiles.Values)
        {
            domain = Expression.Condition(Expression.Equal(profileId, Expression.Constant(profile.Id)), Expression.Constant(profile.Domain), domain);
        }
        var status = Expression.Property(adapter, nameof(Adapter.Status));
        var sandbox = Expression.OrElse(
            Expression.Equal(status, Expression.Constant(AdapterStatus.Sandbox)),
            Expression.AndAlso(
                Expression.Equal(status, Expression.Constant(AdapterStatus.Suspended)),
                Expression.Equal(Expression.Property(adapter, nameof(Adapter.StatusBeforeSuspension)), Expression.Constant(AdapterStatus.Sandbox, typeof(AdapterStatus?)))));
        var row = Expression.MemberInit(
            Expression.New(typeof(VisibleDevice)),
            Expression.Bind(typeof(VisibleDevice).GetProperty(nameof(Device))!, device),
            Expression.Bind(typeof(VisibleDevice).GetProperty(nameof(OrganizationId))!, Expression.Property(device, nameof(Device.OrganizationId))),
            Expression.Bind(typeof(VisibleDevice).GetProperty(nameof(Domain))!, domain),
            Expression.Bind(typeof(VisibleDevice).GetProperty(nameof(District))!, Expression.Property(device, nameof(Device.District))),
            Expression.Bind(typeof(VisibleDevice).GetProperty(nameof(Sandbox))!, sandbox));
        return db.Devices.AsNoTracking().Join(db.Adapters.AsNoTracking(), d => d.AdapterId, a => a.Id, Expression.Lambda<Func<Device, Adapter, VisibleDevice>>(row, device, adapter));
    }
}
