using System.Globalization;

namespace IntegrationHub.Conformance.Validation;

/// <summary>
/// RFC 3339 §5.6 <c>date-time</c>, the meaning of JSON Schema's <c>date-time</c> format: the whole string and nothing
/// else. .NET's parsers forgive what the grammar does not: <see cref="DateTimeOffset.TryParse(string, IFormatProvider, DateTimeStyles, out DateTimeOffset)"/>
/// skips surrounding white space, and a regex's <c>$</c> matches before a final newline, so
/// "2026-11-28T10:00:00Z\n" passed both; here it is no date-time.
/// </summary>
internal static class Rfc3339
{
    /// <summary>Whether <paramref name="text"/> is a date-time: the grammar, a real calendar date, and a leap second only at 23:59:60 UTC.</summary>
    /// <remarks>
    /// Read by hand, position by position, rather than with a regex: every message's time passes here, and a regex match
    /// allocated its groups for each (a tenth of what ingest allocated, bench/README.md). It accepts exactly what
    /// <c>\A[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})\z</c> does
    /// (ASCII digits only), and the tests hold it to that regex.
    /// </remarks>
    public static bool IsDateTime(string text)
    {
        // date-fullyear "-" date-month "-" date-mday "T" time-hour ":" time-minute ":" time-second: 19 characters.
        if (text.Length < 20
            || !TryDigits(text, 0, 4, out var year) || text[4] != '-' || !TryDigits(text, 5, 2, out var month) || text[7] != '-'
            || !TryDigits(text, 8, 2, out var day) || text[10] is not ('T' or 't')
            || !TryDigits(text, 11, 2, out var hour) || text[13] != ':' || !TryDigits(text, 14, 2, out var minute) || text[16] != ':'
            || !TryDigits(text, 17, 2, out var second))
        {
            return false;
        }
        var at = 19;
        // time-secfrac: "." and at least one digit.
        if (text[at] == '.')
        {
            var digits = ++at;
            while (at < text.Length && char.IsAsciiDigit(text[at]))
            {
                at++;
            }
            if (at == digits || at == text.Length)
            {
                return false;
            }
        }
        // time-offset: "Z", or "+"/"-" time-hour ":" time-minute, and then nothing.
        var offset = 0;
        if (text[at] is 'Z' or 'z')
        {
            if (at + 1 != text.Length)
            {
                return false;
            }
        }
        else if (text[at] is '+' or '-' && at + 6 == text.Length
            && TryDigits(text, at + 1, 2, out var offsetHour) && text[at + 3] == ':' && TryDigits(text, at + 4, 2, out var offsetMinute))
        {
            if (offsetHour > 23 || offsetMinute > 59)
            {
                return false;
            }
            offset = (text[at] == '-' ? -1 : 1) * ((offsetHour * 60) + offsetMinute);
        }
        else
        {
            return false;
        }
        if (month is < 1 or > 12 || day < 1 || day > DaysIn(year, month) || hour > 23 || minute > 59 || second > 60)
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

    // The value of the ASCII digits text[start..start+count].
    private static bool TryDigits(string text, int start, int count, out int value)
    {
        value = 0;
        foreach (var c in text.AsSpan(start, count))
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
            value = (value * 10) + (c - '0');
        }
        return true;
    }
}
