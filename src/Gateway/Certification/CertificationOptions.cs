using System.ComponentModel.DataAnnotations;
using IntegrationHub.Conformance.Certification;

namespace IntegrationHub.Gateway.Certification;

/// <summary>How the hub certifies adapters. Section <c>Certification</c>.</summary>
internal sealed class CertificationOptions
{
    public const string Section = "Certification";

    /// <summary>
    /// The classes a sandbox adapter must pass to become certified. <c>profile:*</c> stands for a profile class for each
    /// profile the adapter may send (at least one when it may send any).
    /// </summary>
    /// <remarks>Empty means the default; a default in the property would be appended to, not replaced by, configuration.</remarks>
    public string[]? RequiredClasses { get; set; }

    public IReadOnlyList<string> Required => RequiredClasses is { Length: > 0 } given ? given : [CertificationClasses.CoreHttp, CertificationClasses.EveryAllowedProfile];

    /// <summary>How far a message's time may be from the hub's clock when it arrives (CERT-004).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The shortest reporting interval a session may ask for, so that a run can be quick.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest a session may last.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "7.00:00:00")]
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How many messages a session records; beyond it they are ingested but not graded.</summary>
    [Range(10, 1_000_000)]
    public int MaxArrivals { get; set; } = 10_000;
}
