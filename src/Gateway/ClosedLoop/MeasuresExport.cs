using System.Globalization;
using System.Text;
using MiniExcelLibs;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>
/// The loop's measures as a spreadsheet (LOOP-011): CSV (RFC 4180, UTF-8 with a byte order mark, without which Excel
/// reads Chinese names as mojibake) or XLSX. The columns are the JSON answer's fields, in its order, so one set of names
/// serves every format.
/// </summary>
internal static class MeasuresExport
{
    public const string Csv = "text/csv", Xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    private static readonly string[] Columns =
    [
        "key", "name", "alerts", "red", "orange", "yellow", "blue", "shares", "acknowledged", "resolved",
        "dispatchP50", "dispatchP90", "acknowledgeP50", "acknowledgeP90", "resolveP50", "resolveP90",
        "overdue", "overdueRate", "devices", "alertsPer100Devices", "judged", "falseAlarms", "reviewsDone", "reviewsPending",
    ];

    /// <summary>The format asked for: <c>format=</c> first, then <c>Accept</c>; null for JSON, or for a format the hub does not write (<paramref name="unknown"/>).</summary>
    public static string? Chosen(HttpRequest request, string? format, out bool unknown)
    {
        unknown = false;
        switch (format)
        {
            case null:
                break;
            case "json":
                return null;
            case "csv":
                return Csv;
            case "xlsx":
                return Xlsx;
            default:
                unknown = true;
                return null;
        }
        var accept = request.GetTypedHeaders().Accept;
        return accept.Any(a => a.MediaType.Equals(Xlsx, StringComparison.OrdinalIgnoreCase)) ? Xlsx
            : accept.Any(a => a.MediaType.Equals(Csv, StringComparison.OrdinalIgnoreCase)) ? Csv
            : null;
    }

    public static string FileName(LoopMeasuresApi.MeasuresResponse measures, string mediaType) =>
        FormattableString.Invariant($"loop-measures-{measures.GroupBy}-{measures.From.UtcDateTime:yyyyMMdd}-{measures.To.UtcDateTime:yyyyMMdd}.{(mediaType == Xlsx ? "xlsx" : "csv")}");

    public static async Task<byte[]> WriteAsync(LoopMeasuresApi.MeasuresResponse measures, string mediaType, CancellationToken cancellationToken)
    {
        var rows = measures.Items.Select(Cells).ToList();
        if (mediaType == Xlsx)
        {
            using var stream = new MemoryStream();
            var sheet = rows.Select(r => (IDictionary<string, object?>)Columns.Zip(r).ToDictionary(c => c.First, c => c.Second)).ToList();
            await stream.SaveAsAsync(sheet, sheetName: measures.GroupBy, excelType: ExcelType.XLSX, cancellationToken: cancellationToken);
            return stream.ToArray();
        }
        var text = new StringBuilder();
        Line(text, Columns.Select(c => (object?)c));
        foreach (var row in rows)
        {
            Line(text, row);
        }
        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text.ToString())];
    }

    private static object?[] Cells(LoopMeasuresApi.MeasureRow r) =>
    [
        r.Key, r.Name, r.Alerts, r.Red, r.Orange, r.Yellow, r.Blue, r.Shares, r.Acknowledged, r.Resolved,
        r.DispatchP50, r.DispatchP90, r.AcknowledgeP50, r.AcknowledgeP90, r.ResolveP50, r.ResolveP90,
        r.Overdue, r.OverdueRate, r.Devices, r.AlertsPer100Devices, r.Judged, r.FalseAlarms, r.ReviewsDone, r.ReviewsPending,
    ];

    /// <summary>One record, CRLF-terminated (RFC 4180 §2).</summary>
    private static void Line(StringBuilder text, IEnumerable<object?> cells)
    {
        var first = true;
        foreach (var cell in cells)
        {
            if (!first)
            {
                text.Append(',');
            }
            first = false;
            text.Append(Field(cell));
        }
        text.Append("\r\n");
    }

    private static string Field(object? cell)
    {
        switch (cell)
        {
            case null:
                return "";
            case double d:
                return d.ToString("R", CultureInfo.InvariantCulture);
            case IFormattable f:
                return f.ToString(null, CultureInfo.InvariantCulture);
        }
        var value = cell.ToString() ?? "";
        // A name that a spreadsheet would run as a formula is kept as text (CWE-1236).
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
