using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Portal;

/// <summary>
/// Qingdao's districts and county-level cities (GB/T 2260), with their place on the console's schematic map: a box in a
/// 600 × 600 drawing, north up, roughly where each lies. Their names come from the spec's GB/T 2260 table, the one
/// source of district names (<see cref="NameOf"/>). No tiles, no outside server: the map renders offline.
/// Each district also has its approximate extent in longitude and latitude, so that a device's location lands at the
/// matching spot of its district's box (<see cref="Place"/>; the console's script does the same sum).
/// </summary>
public static class CityDistricts
{
    public sealed record District(string Code, int X, int Y, int Width, int Height, GeoExtent Extent);

    /// <summary>A longitude–latitude box (WGS 84 / CGCS2000 degrees).</summary>
    public sealed record GeoExtent(double West, double South, double East, double North);

    /// <summary>How far inside its box a device's dot stays, in drawing units.</summary>
    public const int Margin = 8;

    public static readonly IReadOnlyList<District> All =
    [
        new("370283", 20, 20, 220, 220, new(119.50, 36.45, 120.30, 37.05)),
        new("370285", 250, 20, 170, 170, new(120.30, 36.60, 120.75, 37.15)),
        new("370215", 430, 90, 150, 230, new(120.25, 36.25, 121.00, 36.75)),
        new("370281", 20, 250, 220, 140, new(119.60, 36.10, 120.25, 36.50)),
        new("370214", 250, 200, 170, 110, new(120.20, 36.20, 120.55, 36.45)),
        new("370213", 290, 320, 80, 55, new(120.36, 36.13, 120.50, 36.22)),
        new("370212", 380, 330, 170, 130, new(120.40, 36.05, 120.72, 36.34)),
        new("370203", 290, 385, 80, 55, new(120.33, 36.07, 120.45, 36.16)),
        new("370202", 290, 450, 110, 60, new(120.30, 36.03, 120.45, 36.10)),
        new("370211", 20, 400, 250, 180, new(119.50, 35.58, 120.35, 36.20)),
    ];

    /// <summary>
    /// Where a location falls in its district's box: linear in longitude and latitude across the district's extent, north
    /// up, kept <see cref="Margin"/> inside the box (a device just over the border still shows in its own district).
    /// </summary>
    public static (double X, double Y) Place(District district, double lon, double lat)
    {
        var (west, south, east, north) = (district.Extent.West, district.Extent.South, district.Extent.East, district.Extent.North);
        var x = district.X + (lon - west) / (east - west) * district.Width;
        var y = district.Y + (north - lat) / (north - south) * district.Height;
        return (Math.Clamp(x, district.X + Margin, district.X + district.Width - Margin), Math.Clamp(y, district.Y + Margin, district.Y + district.Height - Margin));
    }

    /// <summary>A district's name in the page's language: the table's English name where it has one, else its Chinese one.</summary>
    public static string NameOf(string code, AreaCatalog areas) =>
        !areas.TryGet(code, out var area) ? code
        : PortalCultures.IsChinese ? area.Name
        : area.NameEn ?? area.Name;
}
