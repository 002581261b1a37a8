using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace IntegrationHub.Gateway.Hosting;

/// <summary>A page of results and the opaque cursor of the next page (null on the last page).</summary>
internal sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>
/// Opaque keyset cursors: the sort key of the last item of a page, so paging stays stable while rows are added.
/// </summary>
internal static class Cursors
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static string Encode(params object[] key) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Join('\n', key.Select(k => Convert.ToString(k, CultureInfo.InvariantCulture)))));

    /// <summary>Decodes a cursor of <paramref name="parts"/> fields; false when it was not made by <see cref="Encode"/>.</summary>
    public static bool TryDecode(string? cursor, int parts, out string[] key)
    {
        key = [];
        if (cursor is null)
        {
            return true;
        }
        try
        {
            key = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor)).Split('\n');
            return key.Length == parts;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Decodes a one-number cursor; <paramref name="value"/> is <paramref name="start"/> when there is no cursor.</summary>
    public static bool TryDecodeId(string? cursor, long start, out long value)
    {
        value = start;
        return cursor is null || (TryDecode(cursor, 1, out var key) && TryLong(key[0], out value));
    }

    public static bool TryLong(string text, out long value) => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);

    public static int Limit(int? requested) => Math.Clamp(requested ?? DefaultLimit, 1, MaxLimit);
}
