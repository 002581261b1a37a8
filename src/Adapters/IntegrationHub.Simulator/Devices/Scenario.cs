namespace IntegrationHub.Simulator.Devices;

/// <summary>What happens to the simulated devices. <c>mixed</c> gives each device a role drawn from the seed.</summary>
internal enum ScenarioKind
{
    Normal,
    GasLeak,
    Biogas,
    PressureBurst,
    Offline,
    Fault,
    Mixed,
}

/// <summary>What one device lives through.</summary>
internal enum DeviceRole
{
    Normal,
    GasLeak,
    Biogas,
    PressureBurst,
    Offline,
    Fault,
}

/// <summary>A simulated device: its id, profile and index (which seeds its own noise), and its role.</summary>
internal sealed record SimulatedDevice(int Index, string DeviceId, string Profile, DeviceRole Role);

/// <summary>
/// A scenario: the devices and, for each, when its event happens. Everything is derived from the seed and the start,
/// so the same seed and start give the same devices, roles, events and readings.
/// </summary>
internal sealed record Scenario(int Seed, DateTimeOffset Start, ScenarioKind Kind, IReadOnlyList<SimulatedDevice> Devices)
{
    /// <summary>Events begin this long after the start, so every device first shows its normal behaviour.</summary>
    public static readonly TimeSpan EventDelay = TimeSpan.FromMinutes(10);

    /// <summary>How long offline and fault periods last.</summary>
    public static readonly TimeSpan EventLength = TimeSpan.FromMinutes(30);

    public static readonly IReadOnlyList<string> Profiles = [DeviceModels.Gas, DeviceModels.Water, DeviceModels.Tunnel];

    public static Scenario Create(int seed, DateTimeOffset start, ScenarioKind kind, int devices, IReadOnlyList<string>? profiles = null)
    {
        profiles = profiles is { Count: > 0 } ? profiles : Profiles;
        var list = new List<SimulatedDevice>(devices);
        for (var i = 0; i < devices; i++)
        {
            var profile = profiles[i % profiles.Count];
            list.Add(new SimulatedDevice(i, $"sim-{DeviceModels.ShortName(profile)}-{i + 1:0000}", profile, Role(seed, i, profile, kind)));
        }
        return new Scenario(seed, start, kind, list);
    }

    /// <summary>The event's start for a device: after <see cref="EventDelay"/>, spread over the next ten minutes by the seed.</summary>
    public DateTimeOffset EventStart(SimulatedDevice device) =>
        Start + EventDelay + TimeSpan.FromSeconds(Math.Floor(Noise.Uniform(Seed, device.Index, 99, 0) * 600));

    /// <summary>A role fits the device's profile; where the scenario's event does not apply to it, the device stays normal.</summary>
    private static DeviceRole Role(int seed, int index, string profile, ScenarioKind kind)
    {
        var role = kind switch
        {
            ScenarioKind.Normal => DeviceRole.Normal,
            ScenarioKind.GasLeak => DeviceRole.GasLeak,
            ScenarioKind.Biogas => DeviceRole.Biogas,
            ScenarioKind.PressureBurst => DeviceRole.PressureBurst,
            ScenarioKind.Offline => DeviceRole.Offline,
            ScenarioKind.Fault => DeviceRole.Fault,
            _ => Noise.Uniform(seed, index, 98, 0) switch
            {
                < 0.60 => DeviceRole.Normal,
                < 0.70 => DeviceRole.Biogas,
                < 0.78 => DeviceRole.GasLeak,
                < 0.86 => DeviceRole.PressureBurst,
                < 0.93 => DeviceRole.Offline,
                _ => DeviceRole.Fault,
            },
        };
        return role switch
        {
            DeviceRole.GasLeak or DeviceRole.Biogas when profile != DeviceModels.Gas => DeviceRole.Normal,
            DeviceRole.PressureBurst when profile != DeviceModels.Water => DeviceRole.Normal,
            _ => role,
        };
    }
}
