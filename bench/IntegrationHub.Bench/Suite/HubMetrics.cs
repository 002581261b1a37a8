using System.Globalization;

namespace IntegrationHub.Bench.Suite;

/// <summary>
/// The runtime figures the hub exports at <c>/metrics</c> (Prometheus text; the .NET <c>System.Runtime</c> meter through
/// OpenTelemetry's runtime instrumentation): working set (the resident set on Linux), GC collections per generation,
/// bytes allocated and CPU time, all since the process started; and the hub's own count of accepted messages
/// (<c>ihub.ingest.messages</c>). Differences between two readings give a window's figures.
/// </summary>
internal sealed record HubMetrics(double WorkingSetBytes, double Gen0, double Gen1, double Gen2, double AllocatedBytes, double CpuSeconds, double AcceptedMessages)
{
    public static HubMetrics Parse(string text)
    {
        var series = new List<(string Name, string Labels, double Value)>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var space = line.LastIndexOf(' ');
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            if (space < 0 || !double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                continue;
            }
            var name = brace >= 0 && brace < space ? line[..brace] : line[..space];
            series.Add((name, brace >= 0 && brace < space ? line[brace..space] : "", value));
        }
        double Sum(string name, string? label = null) => series.Where(s => s.Name == name && (label is null || s.Labels.Contains(label, StringComparison.Ordinal))).Sum(s => s.Value);
        return new HubMetrics(
            Sum("dotnet_process_memory_working_set_bytes"),
            Sum("dotnet_gc_collections_total", "\"gen0\""),
            Sum("dotnet_gc_collections_total", "\"gen1\""),
            Sum("dotnet_gc_collections_total", "\"gen2\""),
            Sum("dotnet_gc_heap_total_allocated_bytes_total"),
            Sum("dotnet_process_cpu_time_seconds_total"),
            Sum("ihub_ingest_messages_total", "outcome=\"accepted\""));
    }
}
