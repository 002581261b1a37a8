namespace IntegrationHub.Portal;

/// <summary>
/// Qingdao's districts and county-level cities (GB/T 2260), with their place on the console's schematic map: a box in a
/// 600 × 600 drawing, north up, roughly where each lies. No tiles, no outside server: the map renders offline.
/// </summary>
public static class CityDistricts
{
    public sealed record District(string Code, string Name, string NameZh, int X, int Y, int Width, int Height);

    public static readonly IReadOnlyList<District> All =
    [
        new("370283", "Pingdu", "平度市", 20, 20, 220, 220),
        new("370285", "Laixi", "莱西市", 250, 20, 170, 170),
        new("370215", "Jimo", "即墨区", 430, 90, 150, 230),
        new("370281", "Jiaozhou", "胶州市", 20, 250, 220, 140),
        new("370214", "Chengyang", "城阳区", 250, 200, 170, 110),
        new("370213", "Licang", "李沧区", 290, 320, 80, 55),
        new("370212", "Laoshan", "崂山区", 380, 330, 170, 130),
        new("370203", "Shibei", "市北区", 290, 385, 80, 55),
        new("370202", "Shinan", "市南区", 290, 450, 110, 60),
        new("370211", "Huangdao", "黄岛区", 20, 400, 250, 180),
    ];

    /// <summary>The district's name in the page's language.</summary>
    public static string NameOf(District district) => PortalCultures.IsChinese ? district.NameZh : district.Name;
}
