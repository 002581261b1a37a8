using System.Text.Json;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Telemetry;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.SourceHealth;

/// <summary>Which sources a view covers: the caller's visible devices, narrowed by the request's filters.</summary>
internal sealed record SourceScope(
    Func<DeviceHealth, bool> Visible,
    bool Operator,
    string CallerOrganizationId,
    string? Organization = null,
    string? Adapter = null,
    string? District = null,
    string? Domain = null);

/// <summary>One device's health over the window.</summary>
internal sealed record DeviceHealth(
    long Key, string OrganizationId, string DeviceId, string AdapterId, string ProfileId, string Domain, string District, bool Sandbox,
    TimeSpan Interval, long? LastReceivedAt, bool Silent, long? SilentSince, int Messages, int Rejected, double? LatenessP50, double? LatenessP90) : IVisibleRow
{
    /// <summary>The device's lateness samples of the window, in seconds, sorted: an adapter's percentiles are taken over those of the devices a caller sees.</summary>
    public double[] Lateness { get; init; } = [];
}

/// <summary>One adapter's health over the window, over the devices of it the caller sees.</summary>
internal sealed record AdapterHealth(
    string AdapterId, string OrganizationId, int Devices, int SilentDevices, int Messages, int Rejected,
    IReadOnlyList<KeyValuePair<string, int>> Rejections, long Duplicates, double? LatenessP50, double? LatenessP90, long? LastReceivedAt)
{
    /// <summary>Whether no device of the adapter has sent within its window: the whole adapter went quiet (HLT-003).</summary>
    public bool Silent => Devices > 0 && SilentDevices == Devices;
}

/// <summary>The online rate (在线率) of a district and domain: devices that reported within their window over registered devices.</summary>
internal sealed record OnlineRate(string District, string Domain, int Registered, int Online)
{
    public double Rate => Registered == 0 ? 1 : (double)Online / Registered;
}

/// <summary>A measure of sources at one instant, as one caller sees them.</summary>
internal sealed record SourceReport(long At, TimeSpan Window, IReadOnlyList<AdapterHealth> Adapters, IReadOnlyList<DeviceHealth> Devices)
{
    /// <summary>The online rates per district and domain, in district then domain order.</summary>
    public IReadOnlyList<OnlineRate> OnlineRates() =>
        [.. Devices.GroupBy(d => (d.District, d.Domain)).OrderBy(g => g.Key.District, StringComparer.Ordinal).ThenBy(g => g.Key.Domain, StringComparer.Ordinal)
            .Select(g => new OnlineRate(g.Key.District, g.Key.Domain, g.Count(), g.Count(d => !d.Silent)))];
}

/// <summary>A rejected message of the window: its sender, the device it named and its distinct error codes.</summary>
internal sealed record Rejection(string OrganizationId, string AdapterId, string? DeviceId, IReadOnlyCollection<string> Codes);

/// <summary>
/// Every source of the city at one instant: each registered device (sandbox ones too, which their owners see), the
/// window's rejections and the duplicates per adapter. Each caller's <see cref="SourceReport"/> is cut from it in memory
/// (<see cref="View"/>), so one measure serves every caller and the leader's check (<see cref="SourceHealthCache"/>).
/// </summary>
internal sealed record CityMeasure(long At, TimeSpan Window, IReadOnlyList<DeviceHealth> Devices, IReadOnlyList<Rejection> Rejections, IReadOnlyDictionary<string, long> Duplicates)
{
    /// <summary>The sources of <paramref name="scope"/>: its visible devices, narrowed by its filters, and the adapters they belong to.</summary>
    public SourceReport View(SourceScope scope)
    {
        var prefix = scope.District is null ? null : AreaCodes.Prefix(scope.District);
        var devices = new List<DeviceHealth>();
        foreach (var d in Devices)
        {
            if ((scope.Organization is null || d.OrganizationId == scope.Organization)
                && (scope.Adapter is null || d.AdapterId == scope.Adapter)
                && (prefix is null || d.District.StartsWith(prefix, StringComparison.Ordinal))
                && (scope.Domain is null || d.Domain == scope.Domain)
                && scope.Visible(d))
            {
                devices.Add(d);
            }
        }
        if (devices.Count == 0)
        {
            return new SourceReport(At, Window, [], []);
        }
        var byDevice = devices.ToDictionary(d => (d.OrganizationId, d.DeviceId));

        // A rejection counts for a device the caller sees, or, naming no device it sees, for its own sender's
        // organization (the operator sees them all).
        var deviceRejections = new Dictionary<long, int>();
        var adapterRejections = new Dictionary<string, (string Organization, int Count, Dictionary<string, int> Codes)>(StringComparer.Ordinal);
        foreach (var entry in Rejections)
        {
            if (scope.Adapter is not null && entry.AdapterId != scope.Adapter)
            {
                continue;
            }
            var known = entry.DeviceId is not null && byDevice.TryGetValue((entry.OrganizationId, entry.DeviceId), out var device) ? device : null;
            if (known is null && !scope.Operator && entry.OrganizationId != scope.CallerOrganizationId)
            {
                continue;
            }
            if (known is null && (scope.District is not null || scope.Domain is not null || (scope.Organization is not null && entry.OrganizationId != scope.Organization)))
            {
                continue;
            }
            if (known is not null)
            {
                deviceRejections[known.Key] = deviceRejections.GetValueOrDefault(known.Key) + 1;
            }
            if (!adapterRejections.TryGetValue(entry.AdapterId, out var tally))
            {
                tally = (entry.OrganizationId, 0, new Dictionary<string, int>(StringComparer.Ordinal));
            }
            foreach (var code in entry.Codes)
            {
                tally.Codes[code] = tally.Codes.GetValueOrDefault(code) + 1;
            }
            adapterRejections[entry.AdapterId] = (tally.Organization, tally.Count + 1, tally.Codes);
        }
        for (var i = 0; i < devices.Count; i++)
        {
            if (deviceRejections.TryGetValue(devices[i].Key, out var count))
            {
                devices[i] = devices[i] with { Rejected = count };
            }
        }

        var adapters = new List<AdapterHealth>();
        var perAdapter = devices.GroupBy(r => r.AdapterId).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        foreach (var id in perAdapter.Keys.Union(adapterRejections.Keys).Order(StringComparer.Ordinal))
        {
            var its = perAdapter.GetValueOrDefault(id) ?? [];
            var tally = adapterRejections.GetValueOrDefault(id);
            var late = its.SelectMany(d => d.Lateness).Order().ToArray();
            adapters.Add(new AdapterHealth(
                id, its.Count > 0 ? its[0].OrganizationId : tally.Organization, its.Count, its.Count(d => d.Silent), its.Sum(d => d.Messages), tally.Count,
                tally.Codes is null ? [] : [.. tally.Codes.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)],
                Duplicates.GetValueOrDefault(id), SourceMeasures.Percentile(late, 0.5), SourceMeasures.Percentile(late, 0.9), its.Max(d => d.LastReceivedAt)));
        }
        return new SourceReport(At, Window, adapters, devices);
    }
}

/// <summary>
/// Source health and data quality, derived from what ingest already keeps (HLT-001, HLT-002): silence from the newest
/// value per device (<c>latest_values</c>), message rate and lateness from the stored messages of the window, rejections
/// from the quarantine of the window, duplicates from <see cref="DuplicateCounts"/>. Nothing here runs on the ingest path.
/// </summary>
internal static class SourceMeasures
{
    /// <summary>
    /// Measures every source of the city. Message counts are exact; lateness and rejections come from the city's newest
    /// <see cref="SourceHealthOptions.MaxSamples"/> messages and quarantine entries of the window, which bounds the work
    /// and the memory of a measure on a busy hub.
    /// </summary>
    public static async Task<CityMeasure> MeasureCityAsync(
        HubDb db, SpecCatalog spec, SourceHealthOptions options, DuplicateCounts duplicates, long now, TimeSpan window, CancellationToken cancellationToken)
    {
        var since = now - (long)window.TotalMilliseconds;
        var registered = await VisibleDevice.Query(db, spec)
            .Select(v => new { v.Device.Key, v.Device.OrganizationId, v.Device.DeviceId, v.Device.AdapterId, v.Device.ProfileId, v.Device.District, v.Device.CreatedAt, v.Sandbox })
            .ToListAsync(cancellationToken);

        // The newest arrival per device: latest_values holds one row per device and metric, kept current by ingest.
        var latest = await db.LatestValues.AsNoTracking()
            .GroupBy(l => l.DeviceKey)
            .Select(g => new { g.Key, At = g.Max(l => l.ReceivedAt) })
            .ToDictionaryAsync(g => g.Key, g => g.At, cancellationToken);

        // The window's messages. messages has no index on the receiving time, and ingest should not pay for one: its ids
        // follow the commit order, and receiving times follow the ids (to within one group commit), so the window starts
        // at an id found by bisection over the primary key.
        var firstMessage = await FirstIdReceivedSinceAsync(db.Messages.AsNoTracking().Select(m => new Row { Id = m.Id, ReceivedAt = m.ReceivedAt }), since, cancellationToken);
        var inWindow = db.Messages.AsNoTracking().Where(m => m.Id >= firstMessage && m.ReceivedAt >= since);
        var counts = await inWindow.GroupBy(m => m.DeviceKey).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        var samples = await inWindow.OrderByDescending(m => m.Id).Take(options.MaxSamples)
            .Select(m => new { m.DeviceKey, Lateness = m.ReceivedAt - m.ObservedAt })
            .ToListAsync(cancellationToken);
        var lateness = samples.ToLookup(s => s.DeviceKey, s => Math.Max(0, s.Lateness) / 1000.0);

        var firstRejection = await FirstIdReceivedSinceAsync(db.Quarantine.AsNoTracking().Select(q => new Row { Id = q.Id, ReceivedAt = q.ReceivedAt }), since, cancellationToken);
        var rejected = await db.Quarantine.AsNoTracking().Where(q => q.Id >= firstRejection && q.ReceivedAt >= since)
            .OrderByDescending(q => q.Id).Take(options.MaxSamples)
            .Select(q => new { q.OrganizationId, q.AdapterId, q.DeviceId, q.Errors })
            .ToListAsync(cancellationToken);

        var devices = new List<DeviceHealth>(registered.Count);
        foreach (var d in registered)
        {
            var profile = spec.Profiles.GetValueOrDefault(d.ProfileId);
            var interval = profile?.Definition.Reporting.Interval ?? TimeSpan.Zero;
            var last = latest.TryGetValue(d.Key, out var at) ? at : (long?)null;
            // A device that never reported is judged from its registration: it has its first window to begin.
            var from = last ?? d.CreatedAt.ToUnixTimeMilliseconds();
            var silentAfter = (long)(interval.TotalMilliseconds * options.SilentAfterIntervals);
            var silent = interval > TimeSpan.Zero && now - from > silentAfter;
            var late = lateness[d.Key].Order().ToArray();
            devices.Add(new DeviceHealth(
                d.Key, d.OrganizationId, d.DeviceId, d.AdapterId, d.ProfileId, profile?.Domain ?? "", d.District, d.Sandbox, interval,
                last, silent, silent ? from + silentAfter : null, counts.GetValueOrDefault(d.Key), 0, Percentile(late, 0.5), Percentile(late, 0.9))
            { Lateness = late });
        }
        var rejections = rejected.Select(r => new Rejection(r.OrganizationId, r.AdapterId, r.DeviceId, Codes(r.Errors))).ToList();
        var adapterIds = devices.Select(d => d.AdapterId).Concat(rejections.Select(r => r.AdapterId)).Distinct(StringComparer.Ordinal);
        var duplicated = adapterIds.Select(id => KeyValuePair.Create(id, duplicates.Since(id, since, now))).Where(p => p.Value > 0)
            .ToDictionary(StringComparer.Ordinal);
        return new CityMeasure(now, window, devices, rejections, duplicated);
    }

    /// <summary>The value below which the share <paramref name="p"/> of the sorted values lie (nearest rank).</summary>
    public static double? Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? null : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    internal sealed class Row
    {
        public long Id { get; init; }
        public long ReceivedAt { get; init; }
    }

    /// <summary>The smallest id whose row was received at or after <paramref name="since"/> (one past the largest when none): a bisection, one primary-key seek per step.</summary>
    private static async Task<long> FirstIdReceivedSinceAsync(IQueryable<Row> rows, long since, CancellationToken cancellationToken)
    {
        var high = await rows.MaxAsync(r => (long?)r.Id, cancellationToken) ?? 0;
        var low = await rows.MinAsync(r => (long?)r.Id, cancellationToken) ?? 0;
        high++;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            var received = await rows.Where(r => r.Id >= middle).OrderBy(r => r.Id).Select(r => (long?)r.ReceivedAt).FirstOrDefaultAsync(cancellationToken);
            if (received is null || received >= since)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }
        return low;
    }

    /// <summary>The distinct error codes of a quarantine entry's findings (a JSON array of {code, pointer, detail}).</summary>
    private static HashSet<string> Codes(string errors)
    {
        var codes = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(errors);
            foreach (var finding in document.RootElement.EnumerateArray())
            {
                if (finding.TryGetProperty("code", out var code) && code.GetString() is { } text)
                {
                    codes.Add(text);
                }
            }
        }
        catch (JsonException)
        {
            codes.Add("unknown");
        }
        return codes;
    }
}
