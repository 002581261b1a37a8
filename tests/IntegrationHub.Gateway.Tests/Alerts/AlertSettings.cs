namespace IntegrationHub.Gateway.Tests.Alerts;

/// <summary>Hub settings the alert tests share.</summary>
internal static class AlertSettings
{
    /// <summary>
    /// Lifecycle deadlines of a week for every level, for tests of the rules and of re-notification, so that no missed
    /// deadline (ALR-003) escalates an alert while they move the clock.
    /// </summary>
    public static Dictionary<string, string?> WithoutDeadlines(Dictionary<string, string?> settings)
    {
        foreach (var level in new[] { "Blue", "Yellow", "Orange", "Red" })
        {
            settings[$"Alerts:Deadlines:{level}:Acknowledge"] = "7.00:00:00";
            settings[$"Alerts:Deadlines:{level}:Resolve"] = "7.00:00:00";
        }
        return settings;
    }
}
