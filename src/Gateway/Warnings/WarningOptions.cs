using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Gateway.Warnings;

/// <summary>Limits of the agencies' warnings. Section <c>Warnings</c>.</summary>
internal sealed class WarningOptions
{
    public const string Section = "Warnings";

    /// <summary>The largest CAP document the hub takes; national warnings are a few kilobytes.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxDocumentBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// How far back the alert engine keeps the warnings that held (rules.md §5b): an observation judged later than this
    /// after its time meets only the warnings that still held within it. A device's backlog of a day is common; a week
    /// keeps a handful of warnings in memory.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "90.00:00:00")]
    public TimeSpan ContextLookback { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How long a warning without <c>expires</c> holds, from when it was sent or received (whichever is later), when its
    /// agency neither updates nor cancels it (rules.md §5b). An
    /// agency that forgets to lift a warning would otherwise keep the wells it covers on their stricter levels for good.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "30.00:00:00")]
    public TimeSpan MaxInForce { get; set; } = TimeSpan.FromDays(3);
}
