using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Organizations;

/// <summary>
/// A device's effective site parameters: the district overrides from the broadest area to the narrowest, then its
/// group's, then its own, each over the one before; the profile's defaults fill the rest. Ingest (for unit
/// conversions) and the alert engine (for thresholds) both read them from here.
/// </summary>
internal sealed class SiteParameters
{
    private readonly List<ParameterOverride> _overrides;

    private SiteParameters(List<ParameterOverride> overrides) => _overrides = overrides;

    public static async Task<SiteParameters> LoadAsync(HubDb db, IReadOnlyCollection<string> profileIds, CancellationToken cancellationToken) =>
        new(await db.ParameterOverrides.AsNoTracking().Where(o => profileIds.Contains(o.ProfileId)).ToListAsync(cancellationToken));

    /// <summary>Every override, for a view that serves every profile (there are few: one per district or group and profile).</summary>
    public static async Task<SiteParameters> LoadAsync(HubDb db, CancellationToken cancellationToken) =>
        new(await db.ParameterOverrides.AsNoTracking().ToListAsync(cancellationToken));

    public IReadOnlyDictionary<string, double> For(string organizationId, string profileId, string district, string? group, IReadOnlyDictionary<string, double> own)
    {
        if (_overrides.Count == 0)
        {
            return own;
        }
        var merged = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var area in _overrides
            .Where(o => o.Scope == OverrideScope.District && o.ProfileId == profileId && district.StartsWith(AreaCodes.Prefix(o.Key), StringComparison.Ordinal))
            .OrderBy(o => AreaCodes.Prefix(o.Key).Length))
        {
            Merge(merged, area.Parameters);
        }
        if (group is not null)
        {
            foreach (var shared in _overrides.Where(o => o.Scope == OverrideScope.Group && o.ProfileId == profileId && o.OrganizationId == organizationId && o.Key == group))
            {
                Merge(merged, shared.Parameters);
            }
        }
        Merge(merged, own);
        return merged;
    }

    private static void Merge(Dictionary<string, double> into, IReadOnlyDictionary<string, double> from)
    {
        foreach (var (name, value) in from)
        {
            into[name] = value;
        }
    }
}
