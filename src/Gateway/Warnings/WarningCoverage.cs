using System.Globalization;
using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Warnings;

/// <summary>
/// An agency's warning as rules take it for context (rules.md §5b, RULE-015): its type, colour, when it holds and the
/// areas it covers. Read from the stored warning's JSON projection, which keeps every <c>area</c> as sent.
/// </summary>
internal sealed record CoveringWarning(
    long Id, string Sender, string Identifier, string Event, WarningType Type, AlertLevel Level, long Sent, long Effective, long? Expires, long? Until,
    IReadOnlyList<CoveredArea> Areas)
{
    /// <summary>
    /// Whether the warning covers a device: an area covers the devices whose district one of its GB/T 2260 geocodes
    /// contains by prefix (370200 contains 370212) and, when it has polygons or circles, whose registered location one
    /// of them contains: shapes narrow an area inside its geocodes, they never reach past them (the geocodes are what
    /// the hub checked against the agency's area). A warning covers what any of its areas covers.
    /// </summary>
    public bool Covers(string district, double lon, double lat)
    {
        foreach (var area in Areas)
        {
            if (area.Contains(district) && ((area.Polygons.Length == 0 && area.Circles.Length == 0) || area.Contains(lon, lat)))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Whether the warning changes how a device of <paramref name="domain"/> at that place is watched: its type affects
    /// the domain (cap/warning-types.json) and it covers the device. The one test of both the engine and the context API.
    /// </summary>
    public bool Affects(string domain, string district, double lon, double lat) =>
        Type.Domains.Contains(domain, StringComparer.Ordinal) && Covers(district, lon, lat);

    /// <summary>
    /// The warning if rules take it for context: actual, from a certified agency, of a known type and a colour, not a
    /// Cancel; null otherwise. When it holds (from its effective time until it expired or a later message of the same
    /// warning replaced or cancelled it) is <see cref="HoldsAt"/>'s to say.
    /// </summary>
    public static CoveringWarning? Of(Warning warning, WarningTypeCatalog types)
    {
        if (warning.Status != "Actual" || warning.Sandbox || warning.MsgType == "Cancel"
            || warning.Level is not { } level || types.OfEvent(warning.Event) is not { } type)
        {
            return null;
        }
        var projection = JsonNode.Parse(warning.Projection)!.AsObject();
        var infos = projection["info"]!.AsArray().Select(i => i!.AsObject()).ToList();
        // The warning holds while any of its infos does: from the earliest info's `effective` (CAP: an info without one
        // is effective when sent; a warning is issued to prepare before its hazard's onset) to the latest `expires`.
        var effective = infos.Select(i => (string?)i["effective"] is { } e ? Time(e) : warning.Sent).DefaultIfEmpty(warning.Sent).Min();
        var areas = infos.SelectMany(i => i["area"]?.AsArray() ?? []).Select(a => CoveredArea.Of(a!.AsObject())).ToList();
        return new CoveringWarning(warning.Id, warning.Sender, warning.Identifier, warning.Event, type, level, warning.Sent, effective, warning.Expires, warning.Until, areas);
    }

    /// <summary>Whether the warning holds at <paramref name="at"/> (Unix ms): from its effective time until it expired, was replaced or was cancelled.</summary>
    public bool HoldsAt(long at) => Effective <= at && (Until is null || Until > at);

    /// <summary>
    /// The warnings rules may take for context that hold at some moment from <paramref name="from"/> on, highest colour
    /// first, then latest sent: a late observation is judged against those that held at its own time.
    /// </summary>
    public static async Task<List<CoveringWarning>> LoadAsync(HubDb db, WarningTypeCatalog types, long from, CancellationToken cancellationToken)
    {
        var rows = await db.Warnings.AsNoTracking()
            .Where(w => w.Status == "Actual" && !w.Sandbox && w.MsgType != "Cancel" && (w.Until == null || w.Until > from))
            .ToListAsync(cancellationToken);
        return [.. rows.Select(w => Of(w, types)).OfType<CoveringWarning>().OrderByDescending(w => w.Level).ThenByDescending(w => w.Sent).ThenByDescending(w => w.Id)];
    }

    /// <summary>
    /// A rule's context entries that the warnings covering a device may put in force, in the order they win (rules.md
    /// §5b): the warning of the highest colour (then the latest sent) first, and of one warning's entries the one listed
    /// first. The entry in force at an instant is the first whose warning holds then (<see cref="ContextSnapshot.For"/>).
    /// </summary>
    public static ContextInForce[] Candidates(RuleDefinition rule, IReadOnlyList<CoveringWarning> covering)
    {
        var candidates = new List<ContextInForce>();
        foreach (var warning in covering)
        {
            for (var i = 0; i < rule.Context.Count; i++)
            {
                var entry = rule.Context[i];
                if (entry.Warning == warning.Type.Id && warning.Level >= entry.AtLeast)
                {
                    candidates.Add(new ContextInForce(i, entry, warning));
                }
            }
        }
        return [.. candidates];
    }

    /// <summary>The entry in force at <paramref name="at"/> among a rule's candidates: the first whose warning holds then; null when none does.</summary>
    public static ContextInForce? At(ContextInForce[] candidates, long at)
    {
        foreach (var candidate in candidates)
        {
            if (candidate.Warning.HoldsAt(at))
            {
                return candidate;
            }
        }
        return null;
    }

    private static long Time(string cap) => DateTimeOffset.ParseExact(cap, "yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
}

/// <summary>One CAP <c>area</c>: its GB/T 2260 geocodes, polygons (latitude, longitude pairs) and circles.</summary>
internal sealed record CoveredArea(string[] Geocodes, (double Lat, double Lon)[][] Polygons, (double Lat, double Lon, double RadiusKm)[] Circles)
{
    private const double EarthRadiusKm = 6371.0088;

    public static CoveredArea Of(JsonObject area)
    {
        var geocodes = (area["geocode"]?.AsArray() ?? [])
            .Where(g => (string?)g!["valueName"] == "GB/T 2260")
            .SelectMany(g => ((string?)g!["value"] ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Where(AreaCatalog.IsWellFormed)
            .ToArray();
        var polygons = (area["polygon"]?.AsArray() ?? []).Select(p => Points((string?)p ?? "")).Where(p => p.Length >= 4).ToArray();
        var circles = (area["circle"]?.AsArray() ?? []).Select(c => Circle((string?)c ?? "")).OfType<(double, double, double)>().ToArray();
        return new CoveredArea(geocodes, polygons, circles);
    }

    /// <summary>Whether one of the geocodes contains the district: the district's code starts with the geocode's prefix.</summary>
    public bool Contains(string district)
    {
        foreach (var code in Geocodes)
        {
            if (district.StartsWith(AreaCodes.Prefix(code), StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether a shape contains the point: a polygon by the even-odd rule (a city is small enough to be flat), a circle by great-circle distance.</summary>
    public bool Contains(double lon, double lat)
    {
        foreach (var polygon in Polygons)
        {
            var inside = false;
            for (int i = 0, j = polygon.Length - 1; i < polygon.Length; j = i++)
            {
                var (a, b) = (polygon[i], polygon[j]);
                if ((a.Lat > lat) != (b.Lat > lat) && lon < ((b.Lon - a.Lon) * (lat - a.Lat) / (b.Lat - a.Lat)) + a.Lon)
                {
                    inside = !inside;
                }
            }
            if (inside)
            {
                return true;
            }
        }
        foreach (var (cLat, cLon, radius) in Circles)
        {
            if (Distance(cLat, cLon, lat, lon) <= radius)
            {
                return true;
            }
        }
        return false;
    }

    private static double Distance(double lat1, double lon1, double lat2, double lon2)
    {
        static double Rad(double degrees) => degrees * Math.PI / 180;
        var dLat = Rad(lat2 - lat1);
        var dLon = Rad(lon2 - lon1);
        var h = (Math.Sin(dLat / 2) * Math.Sin(dLat / 2)) + (Math.Cos(Rad(lat1)) * Math.Cos(Rad(lat2)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2));
        return 2 * EarthRadiusKm * Math.Asin(Math.Min(1, Math.Sqrt(h)));
    }

    // CAP 1.2: "lat,lon lat,lon …", WGS 84. The OASIS schema types shapes as strings: a malformed one covers nothing.
    private static (double Lat, double Lon)[] Points(string polygon)
    {
        var pairs = polygon.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var points = new (double, double)[pairs.Length];
        for (var i = 0; i < pairs.Length; i++)
        {
            if (!TryPoint(pairs[i], out points[i]))
            {
                return [];
            }
        }
        return points;
    }

    // CAP 1.2: "lat,lon radius", the radius in kilometres (cap/README.md §3).
    private static (double Lat, double Lon, double RadiusKm)? Circle(string circle) =>
        circle.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var centre, var radius]
        && TryPoint(centre, out var point) && double.TryParse(radius, NumberStyles.Float, CultureInfo.InvariantCulture, out var km)
            ? (point.Lat, point.Lon, km)
            : null;

    private static bool TryPoint(string pair, out (double Lat, double Lon) point)
    {
        point = default;
        return pair.Split(',') is [var lat, var lon]
            && double.TryParse(lat, NumberStyles.Float, CultureInfo.InvariantCulture, out point.Lat)
            && double.TryParse(lon, NumberStyles.Float, CultureInfo.InvariantCulture, out point.Lon);
    }
}

/// <summary>The context entry of a rule in force on a device (its position in the rule's <c>context</c>), and the warning that holds it.</summary>
internal sealed record ContextInForce(int Index, RuleContext Entry, CoveringWarning Warning)
{
    /// <summary>What a rule memory keeps to tell one context from the next: the warning and the entry.</summary>
    public string Key => $"{Warning.Id}/{Index}";
}
