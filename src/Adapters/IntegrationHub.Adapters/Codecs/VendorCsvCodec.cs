using System.Globalization;
using System.Text;
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
/// </summary>
public sealed class VendorCsvCodec : ITelemetryCodec
{
    private static readonly string[] Required = ["device_id", "timestamp", "metric", "value"];

    public string Name => "vendor-csv";

    public IReadOnlyList<string> MediaTypes { get; } = ["text/csv"];

    public JsonDocument Decode(ReadOnlyMemory<byte> payload, CodecContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(payload.Span).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException e)
        {
            throw new CodecException("The CSV is not UTF-8.", e);
        }
        var rows = CsvReader.Read(text);
        if (rows.Count == 0)
        {
            throw new CodecException("The CSV is empty; its first line names the columns: device_id,timestamp,metric,value[,unit][,profile][,message_id].");
        }
        var header = rows[0].Fields.Select(f => f.Trim().ToLowerInvariant()).ToList();
        var missing = Required.Where(c => !header.Contains(c)).ToList();
        if (missing.Count > 0)
        {
            throw new CodecException($"Line 1: the header lacks the column(s) {string.Join(", ", missing)}; it needs device_id,timestamp,metric,value and may add unit, profile, message_id.");
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
            string? Field(int column) => column < 0 || row.Fields[column].Trim().Length == 0 ? null : row.Fields[column].Trim();
            var message = batch.For(
                Field(device) ?? "",
                Time(Field(timestamp) ?? ""),
                Field(profile) ?? context.Profile,
                Field(messageId));
            var (reading, isNumber) = Value(Field(value) ?? "");
            var rowUnit = Field(unit);
            message.Observe(Field(metric) ?? "", reading, isNumber && rowUnit is not null ? UnitNames.Map(UnitNames.Vendor, rowUnit) : null);
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
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            return (number, true);
        }
        if (bool.TryParse(text, out var flag))
        {
            return (flag, false);
        }
        return (text, false);
    }

    /// <summary>RFC 4180 records: quoted fields may hold commas, quotes ("") and line breaks; lines end in CRLF or LF.</summary>
    private static class CsvReader
    {
        public static List<(int Line, List<string> Fields)> Read(string text)
        {
            var rows = new List<(int, List<string>)>();
            var fields = new List<string>();
            var field = new StringBuilder();
            int line = 1, rowLine = 1, i = 0;
            var quoted = false;
            while (i < text.Length)
            {
                var c = text[i++];
                if (quoted)
                {
                    if (c == '"')
                    {
                        if (i < text.Length && text[i] == '"')
                        {
                            field.Append('"');
                            i++;
                        }
                        else
                        {
                            quoted = false;
                        }
                    }
                    else
                    {
                        line += c == '\n' ? 1 : 0;
                        field.Append(c);
                    }
                    continue;
                }
                switch (c)
                {
                    case '"' when field.Length == 0:
                        quoted = true;
                        break;
                    case ',':
                        fields.Add(field.ToString());
                        field.Clear();
                        break;
                    case '\r' when i < text.Length && text[i] == '\n':
                        break;
                    case '\n':
                        fields.Add(field.ToString());
                        field.Clear();
                        rows.Add((rowLine, fields));
                        fields = [];
                        rowLine = ++line;
                        break;
                    default:
                        field.Append(c);
                        break;
                }
            }
            if (quoted)
            {
                throw new CodecException(string.Create(CultureInfo.InvariantCulture, $"Line {rowLine}: a quoted field is never closed."));
            }
            if (field.Length > 0 || fields.Count > 0)
            {
                fields.Add(field.ToString());
                rows.Add((rowLine, fields));
            }
            return rows;
        }
    }
}
