using System.Globalization;
using System.Text.RegularExpressions;

namespace IntegrationHub.Conformance.Validation;

/// <summary>
/// RFC 3339 §5.6 <c>date-time</c>, the meaning of JSON Schema's <c>date-time</c> format: the whole string and nothing
/// else. .NET's parsers forgive what the grammar does not: <see cref="DateTimeOffset.TryParse(string, IFormatProvider, DateTimeStyles, out DateTimeOffset)"/>
/// skips surrounding white space, and a regex's <c>$</c> matches before a final newline, so
/// "2026-11-28T10:00:00Z\n" passed both; here it is no date-time.
/// </summary>
internal static partial class Rfc3339
{
    /// <summary>Whether <paramref name="text"/> is a date-time: the grammar, a real calendar date, and a leap second only at 23:59:60 UTC.</summary>
    public static bool IsDateTime(string text)
    {
        var match = DateTime().Match(text);
        if (!match.Success)
        {
            return false;
        }
        int Part(string name) => int.Parse(match.Groups[name].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture);
        var (year, month, day) = (Part("year"), Part("month"), Part("day"));
        var (hour, minute, second) = (Part("hour"), Part("minute"), Part("second"));
        var offset = match.Groups["sign"].Success ? (match.Groups["sign"].ValueSpan[0] == '-' ? -1 : 1) * (Part("offsetHour") * 60 + Part("offsetMinute")) : 0;
        if (month is < 1 or > 12 || day < 1 || day > DaysIn(year, month) || hour > 23 || minute > 59 || second > 60
            || (match.Groups["sign"].Success && (Part("offsetHour") > 23 || Part("offsetMinute") > 59)))
        {
            return false;
        }
        // A leap second is inserted at the end of a UTC day (RFC 3339 §5.7): 23:59:60 in UTC, whatever the local offset.
        return second < 60 || ((hour * 60) + minute - offset + (24 * 60)) % (24 * 60) == (23 * 60) + 59;
    }

    /// <summary>The instant <paramref name="text"/> names, if it is a date-time .NET can hold (no leap second).</summary>
    public static bool TryParse(string text, out DateTimeOffset time)
    {
        time = default;
        return IsDateTime(text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out time);
    }

    // RFC 3339 §5.6; "T" and "Z" may be lower case (§5.6, NOTE). Year 0000 is a year of the grammar, and a leap year.
    private static int DaysIn(int year, int month) => month switch
    {
        2 => year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28,
        4 or 6 or 9 or 11 => 30,
        _ => 31,
    };

    [GeneratedRegex(@"\A(?<year>[0-9]{4})-(?<month>[0-9]{2})-(?<day>[0-9]{2})[Tt](?<hour>[0-9]{2}):(?<minute>[0-9]{2}):(?<second>[0-9]{2})(\.[0-9]+)?([Zz]|(?<sign>[+-])(?<offsetHour>[0-9]{2}):(?<offsetMinute>[0-9]{2}))\z", RegexOptions.CultureInvariant)]
    private static partial Regex DateTime();
}
