using System.Globalization;
using System.Text.Json;

namespace IntegrationHub.Adapters.Codecs;

/// <summary>
/// The long CSV export that district platforms and vendor gateways produce (<c>text/csv</c>, RFC 4180): a header row
/// naming at least <c>device_id,timestamp,metric,value</c>, optionally <c>unit</c>, <c>profile</c> and
/// <c>message_id</c>, in any order, then one reading per row. Rows of one device at one instant become one message.
/// <para>
/// Timestamps are RFC 3339 (a space instead of the <c>T</c> is accepted) or Unix seconds or milliseconds; a time
/// without an offset is passed on and refused by the validator, because guessing a time zone would shift readings by
/// hours. Values are numbers, <c>true</c>/<c>false</c>, or state names. Vendor unit spellings are mapped by
/// <see cref="UnitNames.Vendor"/>. A row's <c>profile</c> wins over the <see cref="CodecContext"/>'s.
/// </para>
/// <para>
/// The text must be UTF-8. Where a reading's own fields (metric, value, unit, profile) are not, they travel on as they
/// are and the validator rejects that message alone; the header and the fields that group rows into messages
/// (device_id, timestamp, message_id) must be, or the file is refused.
/// </para>
/// </summary>
public sealed class VendorCsvCodec : ITelemetryCodec
{
    private static readonly string[] Required = ["device_id", "timestamp", "metric", "value"];

    public string Name => "vendor-csv";

    public IReadOnlyList<string> MediaTypes { get; } = ["text/csv"];

    public JsonDocument Decode(ReadOnlyMemory<byte> payload, CodecContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var rows = CsvReader.Read(payload.Span.StartsWith("\uFEFF"u8) ? payload.Span[3..] : payload.Span);
        if (rows.Count == 0)
        {
            throw new CodecException("The CSV is empty; its first line names the columns: device_id,timestamp,metric,value[,unit][,profile][,message_id].");
        }
        var header = rows[0].Fields.Select(f => CodecText.Trimmed(f).Text?.ToLowerInvariant() ?? throw new CodecException("Line 1: the header is not UTF-8 text.")).ToList();
        var missing = Required.Where(c => !header.Contains(c)).ToList();
        if (missing.Count > 0)
        {
            throw new CodecException($"Line 1: the header lacks the column(s) {string.Join(", ", missing)}; it needs device_id,timestamp,metric,value and may add unit, profile, message_id.");
        }
        if (header.Where(c => c.Length > 0).GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new CodecException($"Line 1: the header names the column {twice.Key} twice.");
        }
        int Column(string name) => header.IndexOf(name);
        int device = Column("device_id"), timestamp = Column("timestamp"), metric = Column("metric"), value = Column("value");
        int unit = Column("unit"), profile = Column("profile"), messageId = Column("message_id");

        var batch = new CanonicalBatchBuilder(Name);
        foreach (var row in rows.Skip(1))
        {
            if (row.Fields.Count == 1 && row.Fields[0].Length == 0)
            {
                continue;
            }
            if (row.Fields.Count != header.Count)
            {
                throw new CodecException(string.Create(CultureInfo.InvariantCulture, $"Line {row.Line}: {row.Fields.Count} fields where the header names {header.Count}."));
            }
            CodecText? Field(int column) => column >= 0 && CodecText.Trimmed(row.Fields[column]) is { IsEmpty: false } field ? (CodecText?)field : null;
            string? Key(int column) => Field(column) is { } field
                ? field.Text ?? throw new CodecException(string.Create(CultureInfo.InvariantCulture, $"Line {row.Line}: the {header[column]} is not UTF-8 text, so the row belongs to no message."))
                : null;
            var message = batch.For(Key(device) ?? "", Time(Key(timestamp) ?? ""), Field(profile) ?? CodecText.From(context.Profile), Key(messageId));
            var given = Field(value) ?? "";
            var (reading, isNumber) = given.Text is { } text ? Value(text) : (given, false);
            CodecText? rowUnit = Field(unit) is { } symbol && isNumber ? (symbol.Text is { } known ? UnitNames.Map(UnitNames.Vendor, known) : symbol) : (CodecText?)null;
            message.Observe(Field(metric) ?? "", reading, rowUnit);
        }
        if (batch.Count == 0)
        {
            throw new CodecException("The CSV has a header but no readings.");
        }
        return batch.Build();
    }

    private static string Time(string text)
    {
        if (text.Length is 10 or 13 && text.All(char.IsAsciiDigit))
        {
            var number = long.Parse(text, CultureInfo.InvariantCulture);
            return CanonicalBatchBuilder.Format(text.Length == 10 ? DateTimeOffset.FromUnixTimeSeconds(number) : DateTimeOffset.FromUnixTimeMilliseconds(number));
        }
        return text.Length > 10 && text[10] == ' ' ? string.Concat(text.AsSpan(0, 10), "T", text.AsSpan(11)) : text;
    }

    private static (object Value, bool IsNumber) Value(string text)
    {
        // 1e400 parses as infinity: a number still, which the validator finds out of range.
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && !double.IsNaN(number))
        {
            return (number, true);
        }
        if (bool.TryParse(text, out var flag))
        {
            return (flag, false);
        }
        return ((CodecText)text, false);
    }

    /// <summary>
    /// RFC 4180 records, read as bytes: quoted fields may hold commas, quotes ("") and line breaks; lines end in CRLF or
    /// LF. The separators are ASCII, which no byte of a multi-byte UTF-8 character equals, so each field is decoded on its own.
    /// </summary>
    private static class CsvReader
    {
        public static List<(int Line, List<byte[]> Fields)> Read(ReadOnlySpan<byte> text)
        {
            var rows = new List<(int, List<byte[]>)>();
            var fields = new List<byte[]>();
            var field = new List<byte>();
            int line = 1, rowLine = 1, i = 0;
            var quoted = false;
            while (i < text.Length)
            {
                var c = text[i++];
                if (quoted)
                {
                    if (c == (byte)'"')
                    {
                        if (i < text.Length && text[i] == (byte)'"')
                        {
                            field.Add((byte)'"');
                            i++;
                        }
                        else
                        {
                            quoted = false;
                        }
                    }
                    else
                    {
                        line += c == (byte)'\n' ? 1 : 0;
                        field.Add(c);
                    }
                    continue;
                }
                switch (c)
                {
                    case (byte)'"' when field.Count == 0:
                        quoted = true;
                        break;
                    case (byte)',':
                        fields.Add([.. field]);
                        field.Clear();
                        break;
                    case (byte)'\r' when i < text.Length && text[i] == (byte)'\n':
                        break;
                    case (byte)'\n':
                        fields.Add([.. field]);
                        field.Clear();
                        rows.Add((rowLine, fields));
                        fields = [];
                        rowLine = ++line;
                        break;
                    default:
                        field.Add(c);
                        break;
                }
            }
            if (quoted)
            {
                throw new CodecException(string.Create(CultureInfo.InvariantCulture, $"Line {rowLine}: a quoted field is never closed."));
            }
            if (field.Count > 0 || fields.Count > 0)
            {
                fields.Add([.. field]);
                rows.Add((rowLine, fields));
            }
            return rows;
        }
    }
}
