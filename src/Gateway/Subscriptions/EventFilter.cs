using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Hosting;

namespace IntegrationHub.Gateway.Subscriptions;

/// <summary>
/// Which events a subscription or a stream selects. Each list narrows (an empty or absent list selects all); within a
/// list any value matches. Districts match by GB/T 2260 prefix, so a city's code selects its districts. Levels select
/// alert and warning events at those levels. Devices are <c>{organizationId}/{deviceId}</c>, resolved to the hub's
/// device keys when the filter is accepted.
/// </summary>
internal sealed record EventFilter
{
    /// <summary>Full event types (events.json); the request's families (<c>observation</c>, <c>alert</c>, <c>warning</c>) are expanded.</summary>
    public string[]? Types { get; init; }

    public string[]? Domains { get; init; }
    public string[]? Profiles { get; init; }
    public string[]? Districts { get; init; }
    public string[]? Levels { get; init; }
    public string[]? Devices { get; init; }
    public long[]? DeviceKeys { get; init; }

    public bool Matches(OutboxEvent e) =>
        In(Types, e.Type)
        && In(Domains, e.Domain)
        && In(Profiles, e.Profile)
        && In(Levels, e.Level)
        && (DeviceKeys is not { Length: > 0 } || (e.DeviceKey is { } key && Array.IndexOf(DeviceKeys, key) >= 0))
        && (Districts is not { Length: > 0 } || (e.District is { } district && Districts.Any(d => district.StartsWith(AreaCodes.Prefix(d), StringComparison.Ordinal))));

    private static bool In(string[]? values, string? value) =>
        values is not { Length: > 0 } || (value is not null && Array.IndexOf(values, value) >= 0);
}
