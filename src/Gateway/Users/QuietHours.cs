using System.Globalization;

namespace IntegrationHub.Gateway.Users;

/// <summary>
/// A person's quiet hours (免打扰, LOOP-009): a daily window in Beijing time (UTC+08:00 all year), minutes after
/// midnight, that may cross midnight (<c>22:00-07:00</c>). Blue and yellow notifications falling in it wait until it ends.
/// </summary>
internal static class QuietHoursWindow
{
    private const long MinuteMs = 60_000;
    private const long DayMs = 24 * 60 * MinuteMs;
    private static readonly long OffsetMs = (long)TimeSpan.FromHours(8).TotalMilliseconds;

    /// <summary><c>HH:mm-HH:mm</c>, or null when it is not one (or starts where it ends).</summary>
    public static (int Start, int End)? Parse(string text)
    {
        var parts = text.Split('-');
        if (parts.Length != 2
            || !TimeOnly.TryParseExact(parts[0], "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)
            || !TimeOnly.TryParseExact(parts[1], "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var end)
            || start == end)
        {
            return null;
        }
        return (start.Hour * 60 + start.Minute, end.Hour * 60 + end.Minute);
    }

    public static string? Format(int? start, int? end) => start is { } s && end is { } e
        ? string.Create(CultureInfo.InvariantCulture, $"{s / 60:00}:{s % 60:00}-{e / 60:00}:{e % 60:00}")
        : null;

    /// <summary>When a notification due at <paramref name="at"/> (Unix ms) may go: the window's end if it falls inside, else <paramref name="at"/>.</summary>
    public static long Release(int? start, int? end, long at)
    {
        if (start is not { } s || end is not { } e)
        {
            return at;
        }
        var local = at + OffsetMs;
        var midnight = local - (((local % DayMs) + DayMs) % DayMs);
        var minute = (local - midnight) / MinuteMs;
        long release;
        if (s < e)
        {
            // Inside the day: 12:00-14:00.
            if (minute < s || minute >= e)
            {
                return at;
            }
            release = midnight + e * MinuteMs;
        }
        else if (minute >= s)
        {
            // Across midnight, in the evening part: until the end tomorrow.
            release = midnight + DayMs + e * MinuteMs;
        }
        else if (minute < e)
        {
            release = midnight + e * MinuteMs;
        }
        else
        {
            return at;
        }
        return release - OffsetMs;
    }
}
