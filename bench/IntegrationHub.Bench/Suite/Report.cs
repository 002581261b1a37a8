using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IntegrationHub.Bench.Suite;

/// <summary>A target of issue 14, judged on a row's value or on its ratio to the baseline.</summary>
internal sealed record Target(string Text, Func<double, bool> IsMet, bool OnRatio)
{
    public static Target RatioAtLeast(double ratio) => new(string.Create(CultureInfo.InvariantCulture, $"≥ {ratio:0.0#}× baseline"), r => r >= ratio, OnRatio: true);

    public static Target AtMost(double value, string unit) => new(string.Create(CultureInfo.InvariantCulture, $"≤ {value:#,0.##} {unit}"), v => v <= value, OnRatio: false);

    public static Target AtLeast(double value, string unit) => new(string.Create(CultureInfo.InvariantCulture, $"≥ {value:#,0.##} {unit}"), v => v >= value, OnRatio: false);
}

/// <summary>
/// One line of the table: what the hub did in a scenario, the baseline measured beside it in the same run, their ratio
/// (value ÷ baseline), and the target it is judged against.
/// </summary>
internal sealed record Row(string Scenario, string Measure, double Value, string Unit, string? Baseline = null, double? BaselineValue = null, Target? Target = null, string? Note = null)
{
    public double? Ratio => BaselineValue is { } baseline && baseline != 0 && double.IsFinite(Value) && double.IsFinite(baseline) ? Value / baseline : null;

    /// <summary>Whether the target is met; null without a target, without a figure, or when figures are not judged (smoke).</summary>
    public bool? Met(bool judged) =>
        !judged || Target is null ? null
        : Target.OnRatio ? Ratio is { } ratio ? Target.IsMet(ratio) : null
        : double.IsNaN(Value) ? null : Target.IsMet(Value);
}

/// <summary>
/// The suite's table: one helper for the console, Markdown and JSON, so every scenario reports the same way. Values
/// are formatted by unit; an infinite latency (a percentile among events that never arrived) reads "behind".
/// </summary>
internal sealed class Report(bool smoke)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly List<Row> _rows = [];
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private readonly string _loadAtStart = LoadAverage();

    public IReadOnlyList<Row> Rows => _rows;

    public void Add(Row row)
    {
        _rows.Add(row);
        Console.WriteLine("  " + Line(row));
    }

    /// <summary>A value in its unit, for a reader: thousands grouped, latencies to a tenth of a millisecond.</summary>
    public static string Format(double value, string unit) => value switch
    {
        double.NaN => "—",
        double.PositiveInfinity => "behind",
        _ => unit switch
        {
            "ms" or "µs/obs" or "µs/msg" or "s" => value.ToString(value < 100 ? "#,0.0#" : "#,0", CultureInfo.InvariantCulture) + " " + unit,
            "ratio" => value.ToString("0.00", CultureInfo.InvariantCulture),
            "%" => value.ToString("0.0", CultureInfo.InvariantCulture) + " %",
            _ => value.ToString("#,0", CultureInfo.InvariantCulture) + " " + unit,
        },
    };

    private string Line(Row row) =>
        $"{row.Scenario,-10} {row.Measure,-58} {Format(row.Value, row.Unit),16}"
        + (row.BaselineValue is { } baseline ? $"   {row.Baseline} {Format(baseline, row.Unit)}" : "")
        + (row.Ratio is { } ratio ? $"   ratio {ratio.ToString("0.00", CultureInfo.InvariantCulture)}" : "")
        + (row.Target is { } target ? $"   target {target.Text}{MetText(row.Met(!smoke))}" : "")
        + (row.Note is { } note ? $"   ({note})" : "");

    private static string MetText(bool? met) => met switch { true => " ✓", false => " ✗", null => "" };

    public string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Bench run {_started:yyyy-MM-dd HH:mm} UTC{(smoke ? " — smoke run, figures not judged" : "")}; {Environment.ProcessorCount} cores; load average at start {_loadAtStart}, at end {LoadAverage()}.");
        text.AppendLine();
        text.AppendLine("| scenario | measure | hub | baseline (same run) | ratio | target | met |");
        text.AppendLine("|---|---|---:|---|---:|---|:-:|");
        foreach (var row in _rows)
        {
            var baseline = row.BaselineValue is { } b ? $"{row.Baseline}: {Format(b, row.Unit)}" : "";
            var ratio = row.Ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "";
            var met = row.Met(!smoke) switch { true => "yes", false => "**no**", null => "" };
            text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Scenario} | {row.Measure} | {Format(row.Value, row.Unit)} | {baseline} | {ratio} | {row.Target?.Text} | {met} |");
        }
        var notes = _rows.Where(r => r.Note is not null).ToList();
        if (notes.Count > 0)
        {
            text.AppendLine();
            foreach (var row in notes)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- {row.Scenario}, {row.Measure}: {row.Note}");
            }
        }
        return text.ToString();
    }

    /// <summary>Writes the table as <c>bench-{time}.md</c> and <c>.json</c> into <paramref name="directory"/>; returns the Markdown path.</summary>
    public string Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var stem = Path.Combine(directory, "bench-" + _started.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        File.WriteAllText(stem + ".md", Markdown());
        var document = new
        {
            started = _started,
            finished = DateTimeOffset.UtcNow,
            smoke,
            cores = Environment.ProcessorCount,
            loadAverageAtStart = _loadAtStart,
            loadAverageAtEnd = LoadAverage(),
            rows = _rows.Select(r => new
            {
                scenario = r.Scenario,
                measure = r.Measure,
                value = r.Value,
                unit = r.Unit,
                baseline = r.Baseline,
                baselineValue = r.BaselineValue,
                ratio = r.Ratio,
                target = r.Target?.Text,
                met = r.Met(!smoke),
                note = r.Note,
            }),
        };
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(document, Json));
        return stem + ".md";
    }

    /// <summary>The 1-, 5- and 15-minute load averages: the machine is shared, and a reader should know how busy it was.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
