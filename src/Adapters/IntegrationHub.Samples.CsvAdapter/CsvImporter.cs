using System.Globalization;
using IntegrationHub.Client.Telemetry;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Samples.CsvAdapter;

/// <summary>What became of one export file.</summary>
internal sealed record ImportResult(string File, int Rows, int Stored, IReadOnlyList<string> Rejections);

/// <summary>
/// Imports one export: each row becomes one telemetry message (one station at one time, a metric per mapped column),
/// sent through the SDK's batching sender. A message id made from station and time means a file imported twice, or a
/// retry after a lost answer, is stored once. The file then moves to the archive, or to the rejected folder with a
/// report of what the hub refused and why.
/// </summary>
internal sealed partial class CsvImporter(ITelemetrySender sender, IOptions<CsvAdapterOptions> options, ILogger<CsvImporter> logger)
{
    private readonly CsvAdapterOptions _options = options.Value;

    public async Task<IReadOnlyList<ImportResult>> ImportInboxAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_options.Inbox);
        var results = new List<ImportResult>();
        foreach (var file in Directory.EnumerateFiles(_options.Inbox, "*.csv").Order(StringComparer.Ordinal))
        {
            results.Add(await ImportAsync(file, cancellationToken));
        }
        return results;
    }

    public async Task<ImportResult> ImportAsync(string file, CancellationToken cancellationToken)
    {
        var lines = await File.ReadAllLinesAsync(file, cancellationToken);
        var header = lines[0].Split(',').Select(c => c.Trim()).ToList();
        var rows = new List<(int Line, Task<MessageResult> Sent)>();
        var rejections = new List<string>();
        for (var i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
            {
                continue;
            }
            var cells = lines[i].Split(',').Select(c => c.Trim()).ToList();
            if (ToMessage(header, cells) is { } message)
            {
                rows.Add((i + 1, sender.SendAsync(message, cancellationToken)));
            }
            else
            {
                rejections.Add($"line {i + 1}: unreadable (expected {header.Count} fields, a station and a time)");
            }
        }
        await sender.FlushAsync(cancellationToken);
        var stored = 0;
        foreach (var (line, sent) in rows)
        {
            var result = await sent;
            if (result.IsStored)
            {
                stored++;
            }
            else
            {
                rejections.Add($"line {line}: {result.Code} at {result.Pointer} — {(result.Errors is [var first, ..] ? first.Detail : null)}");
            }
        }

        var name = Path.GetFileName(file);
        var target = rejections.Count == 0 ? _options.Archive : _options.Rejected;
        Directory.CreateDirectory(target);
        var moved = Path.Combine(target, name);
        File.Move(file, moved, overwrite: true);
        if (rejections.Count > 0)
        {
            var report = moved + ".rejections.txt";
            await File.WriteAllLinesAsync(report, rejections, cancellationToken);
            Rejected(logger, name, rejections.Count, report);
        }
        Imported(logger, name, lines.Length - 1, stored);
        return new ImportResult(name, lines.Length - 1, stored, rejections);
    }

    private TelemetryMessage? ToMessage(List<string> header, List<string> cells)
    {
        if (cells.Count != header.Count)
        {
            return null;
        }
        var station = cells[header.IndexOf(_options.DeviceColumn)];
        if (station.Length == 0 || !TryParseTime(cells[header.IndexOf(_options.TimeColumn)], out var time))
        {
            return null;
        }
        var observations = new List<Observation>();
        foreach (var (column, mapping) in _options.Columns)
        {
            var index = header.IndexOf(column);
            // An empty cell is a reading the source did not take; it is left out, not sent as zero.
            if (index >= 0 && double.TryParse(cells[index], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                observations.Add(new Observation(mapping.Metric, value, mapping.Unit));
            }
        }
        return new TelemetryMessage
        {
            MessageId = string.Create(CultureInfo.InvariantCulture, $"csv-{station}-{time.ToUnixTimeSeconds()}"),
            DeviceId = station,
            Profile = _options.Profile,
            Time = time,
            Observations = observations,
        };
    }

    private bool TryParseTime(string text, out DateTimeOffset time)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out time) && HasOffset(text))
        {
            return true;
        }
        if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            time = new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), _options.SourceOffset);
            return true;
        }
        return false;
    }

    private static bool HasOffset(string text) => text.EndsWith('Z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');

    [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "Imported {File}: {Stored} of {Rows} rows stored")]
    private static partial void Imported(ILogger logger, string file, int rows, int stored);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Warning, Message = "The hub refused {Count} rows of {File}; see {Report}")]
    private static partial void Rejected(ILogger logger, string file, int count, string report);
}
