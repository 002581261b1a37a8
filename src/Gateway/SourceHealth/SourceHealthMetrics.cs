using System.Diagnostics.Metrics;
using IntegrationHub.Gateway.Cluster;

namespace IntegrationHub.Gateway.SourceHealth;

/// <summary>
/// Source health as OpenTelemetry gauges (HLT-001, HLT-002), from the leader's last check of the city's sources: the
/// gauges read that measure, they do not query the database when scraped. A node that does not lead reports none, and
/// a node that stops leading stops reporting its last measure at once: it belongs to its term, and another node's
/// figures take over (two nodes exporting the same gauge would count the city twice).
/// </summary>
internal sealed class SourceHealthMetrics
{
    public const string MeterName = "IntegrationHub.SourceHealth";

    private readonly Leadership _leadership;
    private volatile Measure? _last;

    public SourceHealthMetrics(IMeterFactory meters, Leadership leadership)
    {
        _leadership = leadership;
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("ihub.sources.devices", Devices, "{device}", "Registered devices outside the sandbox, by state: online or silent (nothing within k reporting intervals).");
        meter.CreateObservableGauge("ihub.sources.adapters.silent", () => Report(r => r.Adapters.Count(a => a.Silent)), "{adapter}", "Adapters all of whose devices are silent.");
        meter.CreateObservableGauge("ihub.sources.online_rate", OnlineRates, "1", "The online rate (在线率) per district and domain: devices not silent over registered devices.");
    }

    /// <summary>The measure of the last check, taken under the leader's <paramref name="term"/>.</summary>
    public void Measured(SourceReport report, long term) => _last = new Measure(report, term);

    /// <summary>The last measure, while this node still leads in the term that took it.</summary>
    private SourceReport? Current => _last is { } last && last.Term == _leadership.Term ? last.Report : null;

    private IEnumerable<Measurement<int>> Report(Func<SourceReport, int> value) => Current is { } report ? [new(value(report))] : [];

    private IEnumerable<Measurement<int>> Devices()
    {
        if (Current is not { } report)
        {
            yield break;
        }
        var silent = report.Devices.Count(d => d.Silent);
        yield return new(report.Devices.Count - silent, new KeyValuePair<string, object?>("state", "online"));
        yield return new(silent, new KeyValuePair<string, object?>("state", "silent"));
    }

    private IEnumerable<Measurement<double>> OnlineRates()
    {
        if (Current is not { } report)
        {
            yield break;
        }
        foreach (var rate in report.OnlineRates())
        {
            yield return new(rate.Rate, new KeyValuePair<string, object?>("district", rate.District), new KeyValuePair<string, object?>("domain", rate.Domain));
        }
    }

    private sealed record Measure(SourceReport Report, long Term);
}
