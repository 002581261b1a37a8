using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Gateway.SourceHealth;

/// <summary>How the hub judges its sources (7×24 值守, HLT-001…HLT-004). Section <c>SourceHealth</c>.</summary>
internal sealed class SourceHealthOptions
{
    public const string Section = "SourceHealth";

    /// <summary>
    /// k: a device is silent when nothing arrived from it within k of its profile's reporting intervals (HLT-001). The
    /// profiles' own absence rules wait three intervals; so does the default here.
    /// </summary>
    [Range(1.0, 100.0)]
    public double SilentAfterIntervals { get; set; } = 3;

    /// <summary>The window message rates, rejections and lateness are measured over when a request names none.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The newest messages (and quarantine entries) a measure reads for lateness and rejection codes. Counts are exact;
    /// percentiles and codes come from this many of the newest rows, which bounds the work of a request on a busy hub.
    /// </summary>
    [Range(100, 1_000_000)]
    public int MaxSamples { get; set; } = 50_000;

    /// <summary>
    /// How long a measure of the city's sources serves the API's callers and the leader's check on a node before it is
    /// taken again (0: every call measures). Figures are this much older at most.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan CacheFor { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Requests to <c>/v1/health/*</c> a client may make per minute; more get 429 with Retry-After.</summary>
    [Range(1, 10_000)]
    public int RequestsPerMinute { get; set; } = 60;

    /// <summary>How often the leader checks its sources and the hub's own health for system alerts (HLT-003).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// An online rate (of a district and domain with at least <see cref="OnlineRateMinimumDevices"/> devices) below this
    /// raises a system alert (HLT-004).
    /// </summary>
    [Range(0.0, 1.0)]
    public double OnlineRateFloor { get; set; } = 0.5;

    /// <summary>The fewest registered devices a district and domain needs before its online rate can raise an alert: one silent device of two is no collapse.</summary>
    [Range(1, 100_000)]
    public int OnlineRateMinimumDevices { get; set; } = 5;

    /// <summary>The oldest event an active subscription has not passed may be this old before event delivery counts as lagging (HLT-005).</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan OutboxLagLimit { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The share of the data directory's disk that must stay free (HLT-005).</summary>
    [Range(0.0, 1.0)]
    public double MinFreeDiskShare { get; set; } = 0.1;

    /// <summary>How long before its expiry the broker's TLS certificate raises an alert (HLT-005).</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "365.00:00:00")]
    public TimeSpan CertificateWarning { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The GB/T 2260 code system alerts about the hub itself carry, when the operator's organization has none.</summary>
    [RegularExpression("^[0-9]{6}$")]
    public string CityDistrict { get; set; } = "370200";
}
