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
    long Id, string Sender, string Identifier, string Event, WarningType Type, AlertLevel Level, long Sent, long Effective, long? Expires, IReadOnlyList<CoveredArea> Areas)
{
    /// <summary>
    /// Whether the warning covers a device: an area with a polygon or circle covers the devices whose registered location
    /// one of its shapes contains; an area without shapes covers the devices whose district one of its GB/T 2260
    /// geocodes contains by prefix (370200 contains 370212). A warning covers what any of its areas covers.
    /// </summary>
    public bool Covers(string district, double lon, double lat)
    {
        foreach (var area in Areas)
        {
            if (area.Polygons.Length > 0 || area.Circles.Length > 0 ? area.Contains(lon, lat) : area.Contains(district))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The warning if rules take it for context: actual, from a certified agency, of a known type and a colour, not
    /// cancelled or replaced; null otherwise. Whether it holds yet or still is <see cref="HoldsAt"/>'s to say.
    /// </summary>
    public static CoveringWarning? Of(Warning warning, WarningTypeCatalog types)
    {
        if (warning.Status != "Actual" || warning.Sandbox || warning.MsgType == "Cancel" || warning.Superseded
            || warning.Level is not { } level || types.OfEvent(warning.Event) is not { } type)
        {
            return null;
        }
        var projection = JsonNode.Parse(warning.Projection)!.AsObject();
        var infos = projection["info"]!.AsArray().Select(i => i!.AsObject()).ToList();
        // CAP `effective` defaults to `sent`: the warning holds from the moment it is issued unless it says later.
        var effective = infos.Select(i => (string?)i["effective"]).Where(e => e is not null).Select(e => Time(e!)).DefaultIfEmpty(warning.Sent).Min();
        var areas = infos.SelectMany(i => i["area"]?.AsArray() ?? []).Select(a => CoveredArea.Of(a!.AsObject())).ToList();
        return new CoveringWarning(warning.Id, warning.Sender, warning.Identifier, warning.Event, type, level, warning.Sent, effective, warning.Expires, areas);
    }

    /// <summary>Whether the warning holds at <paramref name="now"/>: from its effective time until it expires.</summary>
    public bool HoldsAt(long now) => Effective <= now && (Expires is null || Expires > now);

    /// <summary>
    /// The warnings rules may take for context at <paramref name="now"/>, highest colour first, then latest sent, and the
    /// next moment one of them starts or stops holding (long.MaxValue when none will).
    /// </summary>
    public static async Task<(List<CoveringWarning> InForce, long Next)> LoadAsync(HubDb db, WarningTypeCatalog types, long now, CancellationToken cancellationToken)
    {
        var rows = await db.Warnings.AsNoTracking()
            .Where(w => w.Status == "Actual" && !w.Sandbox && !w.Superseded && w.MsgType != "Cancel" && (w.Expires == null || w.Expires > now))
            .ToListAsync(cancellationToken);
        var candidates = rows.Select(w => Of(w, types)).OfType<CoveringWarning>().ToList();
        var next = long.MaxValue;
        foreach (var w in candidates)
        {
            next = Math.Min(next, w.Effective > now ? w.Effective : w.Expires ?? long.MaxValue);
        }
        var inForce = candidates.Where(w => w.HoldsAt(now)).OrderByDescending(w => w.Level).ThenByDescending(w => w.Sent).ThenByDescending(w => w.Id).ToList();
        return (inForce, next);
    }

    /// <summary>
    /// The context entry in force for a rule, given the warnings that cover the device in the order
    /// <see cref="LoadAsync"/> gives them: the warning of the highest colour that some entry takes wins, and of that
    /// warning's entries the one listed first; null when no entry holds.
    /// </summary>
    public static ContextInForce? Choose(RuleDefinition rule, IReadOnlyList<CoveringWarning> covering)
    {
        foreach (var warning in covering)
        {
            for (var i = 0; i < rule.Context.Count; i++)
            {
                var entry = rule.Context[i];
                if (entry.Warning == warning.Type.Id && warning.Level >= entry.AtLeast)
                {
                    return new ContextInForce(i, entry, warning);
                }
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
