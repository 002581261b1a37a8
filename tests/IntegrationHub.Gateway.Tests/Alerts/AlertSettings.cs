using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Spec;

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

    /// <summary>
    /// The embedded spec with the underground-methane profile raising an alert's level instead of supervising it when
    /// a deadline of one of these levels is missed (the profile's <c>missedDeadline</c>, ALR-003).
    /// </summary>
    public static SpecCatalog RaisingOnMissedDeadlines(params string[] levels)
    {
        const string Methane = "profiles/gas.underground-methane.json";
        return SpecCatalog.Load(SpecCatalog.LoadEmbedded().Files.Select(file =>
        {
            if (file.Path != Methane)
            {
                return file;
            }
            var profile = JsonNode.Parse(file.Content)!.AsObject();
            profile["missedDeadline"] = new JsonObject(levels.Select(level => KeyValuePair.Create(level, (JsonNode?)"raise")));
            return new SpecFile(file.Path, Encoding.UTF8.GetBytes(profile.ToJsonString()));
        }));
    }
}
