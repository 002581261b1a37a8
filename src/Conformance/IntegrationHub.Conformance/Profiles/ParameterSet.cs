using System.Collections.Frozen;

namespace IntegrationHub.Conformance.Profiles;

/// <summary>A device's site parameters: its own values over the profile's defaults.</summary>
public sealed class ParameterSet
{
    public static readonly ParameterSet Empty = new(FrozenDictionary<string, double>.Empty, null);

    private readonly FrozenDictionary<string, double> _defaults;
    private readonly IReadOnlyDictionary<string, double>? _site;

    internal ParameterSet(FrozenDictionary<string, double> defaults, IReadOnlyDictionary<string, double>? site)
    {
        _defaults = defaults;
        _site = site;
    }

    public bool TryGet(string name, out double value) =>
        (_site is not null && _site.TryGetValue(name, out value)) || _defaults.TryGetValue(name, out value);
}
