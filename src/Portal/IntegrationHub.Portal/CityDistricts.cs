using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Portal;

/// <summary>
/// Qingdao's districts and county-level cities (GB/T 2260), in the order the console lists them. Their names come from
/// the spec's GB/T 2260 table, the one source of district names (<see cref="NameOf"/>); their boundaries from
/// <see cref="CityMap"/>.
/// </summary>
public static class CityDistricts
{
    public sealed record District(string Code);

    public static readonly IReadOnlyList<District> All =
    [
        new("370202"), new("370203"), new("370211"), new("370212"), new("370213"),
        new("370214"), new("370215"), new("370281"), new("370283"), new("370285"),
    ];

    /// <summary>A district's name in the page's language: the table's English name where it has one, else its Chinese one.</summary>
    public static string NameOf(string code, AreaCatalog areas) =>
        !areas.TryGet(code, out var area) ? code
        : PortalCultures.IsChinese ? area.Name
        : area.NameEn ?? area.Name;
}
