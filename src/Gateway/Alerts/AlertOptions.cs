using System.ComponentModel.DataAnnotations;
using IntegrationHub.Conformance.Profiles;

namespace IntegrationHub.Gateway.Alerts;

/// <summary>The alert engine and the hub's identity as a warning sender. Section <c>Alerts</c>.</summary>
internal sealed class AlertOptions : IValidatableObject
{
    public const string Section = "Alerts";

    /// <summary>How often overdue devices and due re-notifications are looked for.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// At most one pass of the engine starts in this interval: telemetry committed meanwhile is evaluated in the next
    /// pass, and its rule memories, alerts and cursor commit together, in one transaction. Each pass takes SQLite's one
    /// write lock and an fsync of its own, which ingest then waits for. The interval is part of how long a raise takes,
    /// so it stays well inside the 100 ms an alert may take to reach the console. Zero starts a pass for every hand-over.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:00.1")]
    public TimeSpan PassInterval { get; set; } = TimeSpan.FromMilliseconds(15);

    /// <summary>Messages evaluated per transaction.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 5000;

    /// <summary>
    /// Committed messages waiting in memory for the engine, at most. Beyond it ingest's hand-overs are dropped, and the
    /// engine reads those messages from the database instead, as it does after a restart.
    /// </summary>
    [Range(1_000, 10_000_000)]
    public int InboxCapacity { get; set; } = 50_000;

    /// <summary>
    /// Devices whose rule memories the engine keeps in memory between passes; beyond it, those used longest ago are
    /// read from the database again when they next report.
    /// </summary>
    [Range(100, 10_000_000)]
    public int CachedDevices { get; set; } = 100_000;

    /// <summary>The CAP <c>sender</c>: the hub's unique name as a warning source.</summary>
    [Required]
    public string Sender { get; set; } = "integrationhub@city.example";

    /// <summary>The sender's name in CAP <c>senderName</c> and headlines.</summary>
    [Required]
    public string SenderName { get; set; } = "城市安全风险监测预警平台";

    /// <summary>The hub's own GB/T 2260 area code: the first six digits of every CAP identifier.</summary>
    [RegularExpression("^[1-8][0-9]{5}$")]
    public string AreaCode { get; set; } = "370200";

    /// <summary>
    /// The radius, in kilometres, of the circle around the device that is the CAP <c>area</c> of its alerts
    /// (cap/README.md §5): the device's immediate surroundings, where someone sent to it looks.
    /// </summary>
    [Range(0.01, 50.0)]
    public double CapCircleRadiusKm { get; set; } = 0.1;

    /// <summary>The sender's GB/T 4657 organization-sector code: digits 7–9 of every CAP identifier.</summary>
    [RegularExpression("^[0-9]{3}$")]
    public string SectorCode { get; set; } = "000";

    /// <summary>
    /// The longest maintenance window for devices whose profile does not set <c>maintenance.maxDuration</c>; a profile
    /// that sets it is held to its own value (rules.md §10: the profile's limit, PT8H when it does not say).
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan MaxMaintenance { get; set; } = MaintenancePolicy.DefaultMaxDuration;

    /// <summary>
    /// How long an alert of each level may wait to be acknowledged and to be resolved (处置时限, ALR-003); an alert that
    /// misses one escalates a level and is notified again (specs/rules.md §12).
    /// </summary>
    public AlertDeadlines Deadlines { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var level in Enum.GetValues<AlertLevel>())
        {
            var deadline = Deadlines.For(level);
            var name = $"{nameof(Deadlines)}:{level}";
            if (deadline.Acknowledge < TimeSpan.FromMinutes(1) || deadline.Acknowledge > TimeSpan.FromDays(30))
            {
                yield return new ValidationResult($"{name}:{nameof(LevelDeadline.Acknowledge)} must be between one minute and 30 days.", [name]);
            }
            if (deadline.Resolve < deadline.Acknowledge || deadline.Resolve > TimeSpan.FromDays(90))
            {
                yield return new ValidationResult($"{name}:{nameof(LevelDeadline.Resolve)} must be at least the acknowledge deadline and at most 90 days.", [name]);
            }
        }
    }
}

/// <summary>The deadlines of each level. The defaults are this project's proposal [A]; a city sets its own.</summary>
internal sealed class AlertDeadlines
{
    public LevelDeadline Blue { get; set; } = new() { Acknowledge = TimeSpan.FromHours(4), Resolve = TimeSpan.FromHours(24) };
    public LevelDeadline Yellow { get; set; } = new() { Acknowledge = TimeSpan.FromHours(1), Resolve = TimeSpan.FromHours(12) };
    public LevelDeadline Orange { get; set; } = new() { Acknowledge = TimeSpan.FromMinutes(30), Resolve = TimeSpan.FromHours(4) };
    public LevelDeadline Red { get; set; } = new() { Acknowledge = TimeSpan.FromMinutes(15), Resolve = TimeSpan.FromHours(2) };

    /// <summary>
    /// Whether an alert's deadlines are running: it is open, its condition has not cleared, nobody has resolved it yet,
    /// and it is no sandbox drill, which stays inside its organization and is never escalated (ALR-003, ALR-004).
    /// </summary>
    public static bool Running(Alert alert) =>
        alert.OpenKey is not null && !alert.Cleared && !alert.Sandbox && alert.State is AlertState.Raised or AlertState.Acknowledged or AlertState.Dispatched;

    public LevelDeadline For(AlertLevel level) => level switch
    {
        AlertLevel.Red => Red,
        AlertLevel.Orange => Orange,
        AlertLevel.Yellow => Yellow,
        _ => Blue,
    };
}

/// <summary>How long, from the moment an alert is raised (or last escalated by a missed deadline), it may wait.</summary>
internal sealed class LevelDeadline
{
    /// <summary>Until someone acknowledges it.</summary>
    public TimeSpan Acknowledge { get; set; }

    /// <summary>Until the responsible organization resolves it.</summary>
    public TimeSpan Resolve { get; set; }
}
