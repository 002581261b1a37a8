using System.Globalization;

namespace IntegrationHub.Gateway.Alerts.Cap;

/// <summary>
/// CAP identifiers in the GB/T 35965.1 pattern <c>ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N</c>: the hub's area code, its sector
/// code, <c>000</c>, <c>00</c>, the entry time in Beijing time, and a sequence digit 0–9. Ten identifiers fit in a
/// second; the eleventh moves to the next second, so identifiers stay unique and in order. One per hub process; the alert book resumes it from the database before it issues any (a cluster's nodes share the sequence).
/// </summary>
internal sealed class CapIdentifiers(string areaCode, string sectorCode)
{
    public static readonly TimeSpan Beijing = TimeSpan.FromHours(8);

    private readonly string _prefix = areaCode + sectorCode + "000" + "00" + "_";
    private readonly Lock _lock = new();
    private long _second = long.MinValue;
    private int _next;

    /// <summary>
    /// Continues after <paramref name="newest"/>, an identifier issued elsewhere (before a restart, or by another node),
    /// unless this sequence is already past it: it never goes back.
    /// </summary>
    public void ResumeAfter(string? newest)
    {
        using var scope = _lock.EnterScope();
        if (newest is null || newest.Length != 31
            || !DateTime.TryParseExact(newest[15..29], "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return;
        }
        var second = new DateTimeOffset(time, Beijing).ToUnixTimeSeconds();
        var next = newest[30] - '0' + 1;
        if (second > _second || (second == _second && next > _next))
        {
            (_second, _next) = (second, next);
        }
    }

    public string Next(long atMs)
    {
        using var scope = _lock.EnterScope();
        var second = atMs / 1000;
        if (second > _second)
        {
            (_second, _next) = (second, 0);
        }
        if (_next > 9)
        {
            (_second, _next) = (_second + 1, 0);
        }
        var time = DateTimeOffset.FromUnixTimeSeconds(_second).ToOffset(Beijing);
        return _prefix + time.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "_" + (char)('0' + _next++);
    }
}
