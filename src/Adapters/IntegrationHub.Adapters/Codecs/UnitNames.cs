using System.Collections.Frozen;

namespace IntegrationHub.Adapters.Codecs;

/// <summary>
/// Unit names other formats use, mapped to the UCUM codes of the spec's profiles, which match units exactly. Declared
/// here, in full, so that a reviewer sees every translation a codec makes; a name not listed travels unchanged and the
/// validator judges it against the profile.
/// </summary>
internal static class UnitNames
{
    /// <summary>
    /// SenML unit names (RFC 8428 §12.1, RFC 8798 secondary units) that differ from the profiles' UCUM codes. Units
    /// SenML and UCUM spell alike (<c>Cel</c>, <c>Pa</c>, <c>m3/s</c>, <c>m</c>, <c>K</c>) are not listed. SenML's
    /// <c>lat</c>, <c>lon</c> and <c>%EL</c> are no metric units: the SenML codec turns them into the message's
    /// location and battery.
    /// </summary>
    public static FrozenDictionary<string, string> Senml { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["%RH"] = "%{RH}",
        ["/"] = "1",
        ["l"] = "L",
        ["l/s"] = "L/s",
        ["count"] = "{count}",
        ["beat/min"] = "{beat}/min",
        ["beats"] = "{beat}",
        ["Bspl"] = "B[SPL]",
        ["dBW"] = "dB[W]",
        ["dBm"] = "dB[mW]",
        ["ppm"] = "[ppm]",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// Spellings found in district and vendor exports. Case matters in UCUM (<c>MPa</c> is not <c>mPa</c>), so each
    /// spelling is listed as vendors write it rather than matched case-insensitively.
    /// </summary>
    public static FrozenDictionary<string, string> Vendor { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ppm"] = "[ppm]",
        ["PPM"] = "[ppm]",
        ["%LEL"] = "%{LEL}",
        ["%lel"] = "%{LEL}",
        ["LEL%"] = "%{LEL}",
        ["LEL"] = "%{LEL}",
        ["%vol"] = "%{vol}",
        ["%VOL"] = "%{vol}",
        ["vol%"] = "%{vol}",
        ["%RH"] = "%{RH}",
        ["RH%"] = "%{RH}",
        ["%rh"] = "%{RH}",
        ["°C"] = "Cel",
        ["℃"] = "Cel",
        ["degC"] = "Cel",
        ["C"] = "Cel",
        ["mg/m³"] = "mg/m3",
        ["m³/h"] = "m3/h",
        ["m3/hr"] = "m3/h",
        ["m³"] = "m3",
        ["l/s"] = "L/s",
        ["mH2O"] = "m[H2O]",
        ["mH₂O"] = "m[H2O]",
        ["MPA"] = "MPa",
        ["Mpa"] = "MPa",
        ["KPa"] = "kPa",
        ["kpa"] = "kPa",
        ["°"] = "deg",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static string Map(FrozenDictionary<string, string> table, string unit) => table.GetValueOrDefault(unit, unit);
}
