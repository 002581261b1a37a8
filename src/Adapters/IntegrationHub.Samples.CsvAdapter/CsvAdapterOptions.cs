using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Samples.CsvAdapter;

/// <summary>Where the exports arrive and how their columns map to the hub's spec. Section <c>CsvAdapter</c>.</summary>
internal sealed class CsvAdapterOptions
{
    public const string Section = "CsvAdapter";

    /// <summary>The folder the legacy system drops its exports into.</summary>
    [Required]
    public string Inbox { get; set; } = "inbox";

    /// <summary>Where a file goes once the hub has stored every row.</summary>
    [Required]
    public string Archive { get; set; } = "archive";

    /// <summary>Where a file goes when the hub rejected rows, with a report beside it.</summary>
    [Required]
    public string Rejected { get; set; } = "rejected";

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Import what is in the inbox once and exit (for cron jobs and tests) instead of watching it.</summary>
    public bool RunOnce { get; set; }

    /// <summary>The hub profile of every device in the export.</summary>
    [Required]
    public string Profile { get; set; } = "";

    [Required]
    public string DeviceColumn { get; set; } = "station";

    [Required]
    public string TimeColumn { get; set; } = "time";

    /// <summary>
    /// The UTC offset of times written without one. The export's owner knows it (Beijing time is +08:00); the hub
    /// refuses times without an offset rather than guess.
    /// </summary>
    public TimeSpan SourceOffset { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Export column → hub metric and the UCUM unit the column is in.</summary>
    [MinLength(1)]
    public Dictionary<string, ColumnMapping> Columns { get; set; } = [];
}

internal sealed class ColumnMapping
{
    [Required]
    public string Metric { get; set; } = "";

    /// <summary>A UCUM code the profile accepts for the metric, e.g. <c>kPa</c>; the hub converts it to the canonical unit.</summary>
    public string? Unit { get; set; }
}
