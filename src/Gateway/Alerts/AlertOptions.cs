using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Gateway.Alerts;

/// <summary>The alert engine and the hub's identity as a warning sender. Section <c>Alerts</c>.</summary>
internal sealed class AlertOptions
{
    public const string Section = "Alerts";

    /// <summary>How often overdue devices and due re-notifications are looked for.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Stored messages evaluated per transaction.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 500;

    /// <summary>The CAP <c>sender</c>: the hub's unique name as a warning source.</summary>
    [Required]
    public string Sender { get; set; } = "integrationhub@city.example";

    /// <summary>The sender's name in CAP <c>senderName</c> and headlines.</summary>
    [Required]
    public string SenderName { get; set; } = "城市安全风险监测预警平台";

    /// <summary>The hub's own GB/T 2260 area code: the first six digits of every CAP identifier.</summary>
    [RegularExpression("^[1-8][0-9]{5}$")]
    public string AreaCode { get; set; } = "370200";

    /// <summary>The sender's GB/T 4657 organization-sector code: digits 7–9 of every CAP identifier.</summary>
    [RegularExpression("^[0-9]{3}$")]
    public string SectorCode { get; set; } = "000";

    /// <summary>The longest maintenance window an operator may set.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan MaxMaintenance { get; set; } = TimeSpan.FromHours(8);
}
