using System.Globalization;
using System.Text;
using IntegrationHub.Conformance.Profiles;

namespace IntegrationHub.Portal.Docs;

/// <summary>
/// How the spec browser writes the profiles' numbers for people: thresholds that refer to site parameters, unit
/// conversions, persistence and durations. Numbers are written the way the spec writes them (invariant, no rounding).
/// </summary>
internal static class SpecText
{
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A threshold or factor: <c>50</c>, <c>coverTiltDeg</c>, <c>0.5 × lelVolPercent</c>.</summary>
    public static string Value(ParamNumber value) => value.ToString();

    /// <summary>A threshold with the metric's unit when it is a literal (<c>50 %{LEL}</c>); a parameter reference carries the parameter's own unit.</summary>
    public static string Threshold(ParamNumber value, string? unit) =>
        value.Parameter is null && unit is not null ? $"{Value(value)} {unit}" : Value(value);

    /// <summary>What a parameter reference comes to with the profile's defaults (<c>= 10 deg by default</c>), or null for a literal.</summary>
    public static string? DefaultOf(ParamNumber value, DeviceProfile profile)
    {
        if (value.Parameter is null || !profile.Parameters.TryGetValue(value.Parameter, out var parameter) || parameter.Default is not { } @default)
        {
            return null;
        }
        var resolved = CompiledMetricRounding(@default * value.Factor);
        return parameter.Unit is null || value.Factor != 1 ? Number(resolved) : $"{Number(resolved)} {parameter.Unit}";
    }

    /// <summary>
    /// The conversion of an accepted alternative unit to the canonical one, with <c>x</c> the value as sent:
    /// <c>x ÷ (0.01 × lelVolPercent)</c>, <c>x − 273.15</c>, <c>(x + 10) × 2</c>.
    /// </summary>
    public static string Conversion(UnitConversion conversion)
    {
        var text = new StringBuilder("x");
        var scaled = conversion.MultiplyBy != ParamNumber.One || conversion.DivideBy != ParamNumber.One;
        if (conversion.Offset != 0)
        {
            var sign = conversion.Offset < 0 ? " − " : " + ";
            text.Append(sign).Append(Number(Math.Abs(conversion.Offset)));
            if (scaled)
            {
                text.Insert(0, '(').Append(')');
            }
        }
        if (conversion.MultiplyBy != ParamNumber.One)
        {
            text.Append(" × ").Append(Operand(conversion.MultiplyBy));
        }
        if (conversion.DivideBy != ParamNumber.One)
        {
            text.Append(" ÷ ").Append(Operand(conversion.DivideBy));
        }
        return text.ToString();

        static string Operand(ParamNumber number) => number.Parameter is not null && number.Factor != 1 ? $"({Value(number)})" : Value(number);
    }

    /// <summary>How long a condition must hold: <c>2 consecutive samples</c>, <c>10 min</c>, both, or null for at once.</summary>
    public static string? Persistence(Persistence? persistence, Func<int, string> samples)
    {
        if (persistence is null || (persistence.Samples is null or 1 && persistence.Duration is null))
        {
            return null;
        }
        var parts = new List<string>(2);
        if (persistence.Samples is { } count and > 1)
        {
            parts.Add(samples(count));
        }
        if (persistence.Duration is { } duration)
        {
            parts.Add(Duration(duration));
        }
        return string.Join(" · ", parts);
    }

    /// <summary>A duration in the largest whole units: <c>15 min</c>, <c>24 h</c>, <c>1 d 12 h</c>, <c>30 s</c>.</summary>
    public static string Duration(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0 s";
        }
        var parts = new List<string>(4);
        if (value.Days > 0) { parts.Add($"{value.Days} d"); }
        if (value.Hours > 0) { parts.Add($"{value.Hours} h"); }
        if (value.Minutes > 0) { parts.Add($"{value.Minutes} min"); }
        if (value.Seconds > 0) { parts.Add($"{value.Seconds} s"); }
        return string.Join(" ", parts);
    }

    public static string Range(ValueRange range, string? unit) =>
        $"{Number(range.Min)} … {Number(range.Max)}{(unit is null ? "" : " " + unit)}";

    /// <summary>The national warning grade of a level: blue IV, yellow III, orange II, red I.</summary>
    public static string Grade(AlertLevel level) => level switch
    {
        AlertLevel.Blue => "IV",
        AlertLevel.Yellow => "III",
        AlertLevel.Orange => "II",
        _ => "I",
    };

    public static string LevelName(AlertLevel level) => level.ToString().ToLowerInvariant();

    // Same rounding the validator applies to converted values, so that 0.5 × 5 reads 2.5, not 2.5000000000000004.
    private static double CompiledMetricRounding(double value) =>
        value == 0 || !double.IsFinite(value) ? value : Math.Round(value, Math.Clamp(11 - (int)Math.Floor(Math.Log10(Math.Abs(value))), 0, 15));
}
