using BenchmarkDotNet.Attributes;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Bench.Micro;

/// <summary>Normalizing a reading to the profile's canonical unit: already canonical, and converted through a site parameter (%vol → %LEL).</summary>
public class NormalizeBenchmarks
{
    private CompiledMetric _ch4 = null!;
    private ParameterSet _parameters = null!;

    [GlobalSetup]
    public void Setup()
    {
        var profile = SpecCatalog.LoadEmbedded().Profiles[Suite.BenchHub.Profile];
        _ch4 = profile.Metrics["ch4"];
        _parameters = profile.DefaultParameters;
    }

    [Benchmark(Baseline = true, Description = "canonical unit (%{LEL})")]
    public double Canonical() => _ch4.TryToCanonical("%{LEL}", 4.2, _parameters, out var value) ? value : double.NaN;

    [Benchmark(Description = "converted (%{vol} ÷ lelVolPercent)")]
    public double Converted() => _ch4.TryToCanonical("%{vol}", 0.21, _parameters, out var value) ? value : double.NaN;
}
