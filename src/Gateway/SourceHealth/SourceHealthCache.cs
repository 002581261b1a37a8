using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Storage;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.SourceHealth;

/// <summary>
/// The city's sources, measured once per window length and per <see cref="SourceHealthOptions.CacheFor"/> on this node,
/// whatever the number of callers: the API's callers and the leader's system-alert check share the measure, and each
/// cuts its own view from it (<see cref="CityMeasure.View"/>), so no caller's filter or limit costs another measure of
/// the city. Callers that arrive while a measure runs wait for that one. At most <see cref="Windows"/> window lengths
/// are kept; the clock is the hub's, so a measure lapses on time alone.
/// </summary>
internal sealed class SourceHealthCache(IServiceScopeFactory scopes, SpecCatalog spec, DuplicateCounts duplicates, IOptions<SourceHealthOptions> options, TimeProvider time)
{
    private const int Windows = 8;

    private readonly Lock _gate = new();
    private readonly Dictionary<TimeSpan, (long At, Task<CityMeasure> Measure)> _measures = [];

    /// <summary>The city's sources over <paramref name="window"/>, measured now or within <see cref="SourceHealthOptions.CacheFor"/>.</summary>
    public Task<CityMeasure> MeasureAsync(TimeSpan window)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_gate)
        {
            if (_measures.TryGetValue(window, out var kept) && now - kept.At < options.Value.CacheFor.TotalMilliseconds && !kept.Measure.IsFaulted && !kept.Measure.IsCanceled)
            {
                return kept.Measure;
            }
            if (_measures.Count >= Windows && !_measures.ContainsKey(window))
            {
                _measures.Remove(_measures.MinBy(m => m.Value.At).Key);
            }
            var measure = MeasureNowAsync(now, window);
            _measures[window] = (now, measure);
            return measure;
        }
    }

    private async Task<CityMeasure> MeasureNowAsync(long now, TimeSpan window)
    {
        // Out of the lock before the database is read; and no caller's cancellation ends a measure others wait for.
        await Task.Yield();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        return await SourceMeasures.MeasureCityAsync(db, spec, options.Value, duplicates, now, window, CancellationToken.None);
    }
}
