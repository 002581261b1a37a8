using IntegrationHub.Gateway.Telemetry.Aggregates;

namespace IntegrationHub.Testing;

/// <summary>Hub settings for tests that send readings dated long before the hub's clock.</summary>
public static class RetentionSettings
{
    private const string TenYears = "3650.00:00:00";

    /// <summary>
    /// Ten years of raw data for every domain, and rollups as long: the hub refuses readings older than their raw
    /// retention (<c>time.too-old</c>, TEL-013), and a contract's fixed dates or a rule's years-long drive are older.
    /// </summary>
    public static Dictionary<string, string?> KeepingYears(Dictionary<string, string?> settings)
    {
        settings["Retention:Raw"] = TenYears;
        foreach (var domain in new RetentionOptions().Domains.Keys)
        {
            settings[$"Retention:Domains:{domain}"] = TenYears;
        }
        settings["Retention:MinuteRollups"] = TenYears;
        settings["Retention:HourRollups"] = TenYears;
        return settings;
    }
}
