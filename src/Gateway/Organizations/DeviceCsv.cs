using System.Globalization;
using System.Text;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Hosting;

namespace IntegrationHub.Gateway.Organizations;

/// <summary>
/// Reads a device list in CSV (RFC 4180: comma-separated, double-quoted fields may hold commas, quotes and line breaks).
/// The header row names the columns, in any order; unknown columns are an error rather than silently dropped.
/// </summary>
internal static class DeviceCsv
{
    private static readonly string[] Required = ["deviceId", "profile", "district", "lon", "lat"];
    private static readonly string[] Optional = ["name", "group", "crs"];

    public static List<DevicesApi.RegisterDeviceRequest> Parse(string text, int maxRows, RequestValidator check)
    {
        var records = Records(text).ToList();
        var devices = new List<DevicesApi.RegisterDeviceRequest>();
        if (records.Count == 0)
        {
            check.Add(ErrorCodes.MissingField, "/rows/0", $"The file is empty; its first row names the columns: {string.Join(',', Required)}[,{string.Join(',', Optional)}].");
            return devices;
        }
        var header = records[0].Select(h => h.Trim()).ToList();
        var columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < header.Count; i++)
        {
            var known = Required.Concat(Optional).FirstOrDefault(c => c.Equals(header[i], StringComparison.OrdinalIgnoreCase));
            if (known is null || !columns.TryAdd(known, i))
            {
                check.Add(ErrorCodes.InvalidValue, $"/rows/0/{i}", $"Column '{header[i]}' is unknown or repeated; use {string.Join(", ", Required.Concat(Optional))}.");
            }
        }
        foreach (var missing in Required.Where(c => !columns.ContainsKey(c)))
        {
            check.Add(ErrorCodes.MissingField, "/rows/0", $"The header names no '{missing}' column.");
        }
        if (records.Count - 1 > maxRows)
        {
            check.Add(ErrorCodes.BodyTooLarge, "/rows", $"The file has {records.Count - 1} devices; the limit is {maxRows} per file.");
        }
        if (check.Failed)
        {
            return devices;
        }
        for (var r = 1; r < records.Count; r++)
        {
            var record = records[r];
            if (record.Count != header.Count)
            {
                check.Add(ErrorCodes.InvalidValue, $"/rows/{r}", $"Row {r} has {record.Count} fields; the header has {header.Count}.");
            }
            string? Field(string column) =>
                columns.TryGetValue(column, out var at) && at < record.Count && record[at].Trim() is { Length: > 0 } value ? value : null;
            devices.Add(new DevicesApi.RegisterDeviceRequest(
                Field("deviceId"), Field("profile"), Field("name"), Field("group"), Field("district"),
                new DevicesApi.LocationDto(Number(Field("lon"), $"/rows/{r}/location/lon", check), Number(Field("lat"), $"/rows/{r}/location/lat", check), Field("crs")),
                null));
        }
        return devices;
    }

    private static double? Number(string? text, string pointer, RequestValidator check)
    {
        if (text is null)
        {
            return null;
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }
        check.Add(ErrorCodes.InvalidValue, pointer, $"'{text}' is not a number; use a decimal point, e.g. 120.3826.");
        return double.NaN;
    }

    /// <summary>The file's records; blank lines are skipped, a byte-order mark is ignored.</summary>
    internal static IEnumerable<List<string>> Records(string text)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var start = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"' && field.Length == 0)
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (c is '\r' or '\n')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }
                fields.Add(field.ToString());
                field.Clear();
                if (fields.Count > 1 || fields[0].Length > 0)
                {
                    yield return fields;
                }
                fields = [];
            }
            else
            {
                field.Append(c);
            }
        }
        fields.Add(field.ToString());
        if (fields.Count > 1 || fields[0].Length > 0)
        {
            yield return fields;
        }
    }
}
