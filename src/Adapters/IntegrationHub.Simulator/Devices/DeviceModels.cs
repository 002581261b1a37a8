using System.Globalization;
using IntegrationHub.Client.Telemetry;

namespace IntegrationHub.Simulator.Devices;

/// <summary>
/// How the devices of the reference profiles behave (figures from ../shared/reference/domain-thresholds.md §2):
/// noise, daily cycles in Beijing time and slow drift for all; methane from a gas leak high and strongly fluctuating,
/// sewer biogas low, stable and following temperature (the Hefei lifeline finding); a pipe burst as a sudden pressure
/// drop with a flow spike; devices that go silent; sensor faults reported in the device state. A reading is a pure
/// function of the scenario, the device and the time.
/// </summary>
internal static class DeviceModels
{
    public const string Gas = "gas.underground-methane";
    public const string Water = "water.supply-pressure-flow";
    public const string Tunnel = "utility-tunnel.environment";

    private static readonly TimeSpan BeijingOffset = TimeSpan.FromHours(8);

    public static string ShortName(string profile) => profile switch
    {
        Gas => "gas",
        Water => "water",
        Tunnel => "tunnel",
        _ => throw new ArgumentException($"The simulator has no model for profile '{profile}'; it simulates {string.Join(", ", Scenario.Profiles)}.", nameof(profile)),
    };

    /// <summary>The device's message at <paramref name="time"/>, or null while it is offline.</summary>
    public static TelemetryMessage? Observe(Scenario scenario, SimulatedDevice device, DateTimeOffset time)
    {
        var eventStart = scenario.EventStart(device);
        var inEvent = time >= eventStart;
        var inWindow = inEvent && time < eventStart + Scenario.EventLength;
        if (device.Role == DeviceRole.Offline && inWindow)
        {
            return null;
        }
        var faulty = device.Role == DeviceRole.Fault && inWindow;
        var context = new Reading(scenario.Seed, device.Index, time, scenario.Start, inEvent ? time - eventStart : null);
        var (observations, battery) = device.Profile switch
        {
            Gas => Methane(context, device.Role, faulty),
            Water => Pipe(context, device.Role, faulty),
            _ => Cabin(context, faulty),
        };
        return new TelemetryMessage
        {
            MessageId = string.Create(CultureInfo.InvariantCulture, $"sim-{scenario.Seed}-{device.DeviceId}-{time.ToUnixTimeMilliseconds()}"),
            DeviceId = device.DeviceId,
            Profile = device.Profile,
            Time = time.ToOffset(BeijingOffset),
            Observations = observations,
            Status = new DeviceStatus(faulty ? "sensor-fault" : "normal", Battery: battery),
        };
    }

    /// <summary>Methane terminal in a valve well or sewer: %LEL, temperature, cover tilt.</summary>
    private static (Observation[], double) Methane(Reading r, DeviceRole role, bool faulty)
    {
        // Underground air follows the surface with a lag and a third of its swing.
        var temperature = 14 + 2.5 * Math.Cos(2 * Math.PI * (r.LocalHour - 16) / 24) + 0.3 * r.Smooth(1, 3600) + 0.05 * r.Gaussian(2);
        var ch4 = role switch
        {
            // Sewer biogas: low, stable, rising with temperature.
            DeviceRole.Biogas => 2.5 + 0.35 * (temperature - 14) + 0.06 * r.Gaussian(3),
            // A leak: concentration builds over minutes and swings hard with draughts and pressure.
            DeviceRole.GasLeak when r.SinceEvent is { } since =>
                Math.Max(0, 45 * (1 - Math.Exp(-since.TotalMinutes / 6)) * (1 + 0.35 * r.Gaussian(4) + 0.2 * r.Smooth(5, 120)) + 0.2),
            // Clean air, with a zero drift of a few hundredths of %LEL per hour.
            _ => Math.Max(0, 0.2 + 0.02 * r.SinceStart.TotalHours + 0.05 * r.Smooth(6, 1800) + 0.04 * r.Gaussian(7)),
        };
        var tilt = Math.Abs(0.8 + 0.3 * r.Gaussian(8));
        var battery = Math.Round(Math.Clamp(96 - 0.4 * r.SinceStart.TotalDays - 2 * r.Uniform(9), 0, 100), 0);
        Observation[] observations = faulty
            ? [Observation.Quantity("temperature", Math.Round(temperature, 1), "Cel")]
            : [
                Observation.Quantity("ch4", Math.Round(Math.Min(ch4, 100), 1), "%{LEL}"),
                Observation.Quantity("temperature", Math.Round(temperature, 1), "Cel"),
                Observation.Quantity("cover_tilt", Math.Round(tilt, 0), "deg"),
            ];
        return (observations, battery);
    }

    /// <summary>Water network pressure and flow point; odd devices report pressure in kPa, as some vendors do.</summary>
    private static (Observation[], double) Pipe(Reading r, DeviceRole role, bool faulty)
    {
        var demand = Demand(r.LocalHour) * (1 + 0.05 * r.Smooth(1, 1800));
        var pressure = 0.32 - 0.06 * demand + 0.004 * r.Gaussian(2) + 0.003 * r.Smooth(3, 600);
        var flow = 120 * demand * (1 + 0.03 * r.Gaussian(4));
        if (role == DeviceRole.PressureBurst && r.SinceEvent is { } since && since < TimeSpan.FromMinutes(40))
        {
            // A burst: pressure falls within two minutes and flow jumps, until the valve is closed.
            var onset = Math.Min(1, since.TotalMinutes / 2);
            pressure -= 0.18 * onset;
            flow *= 1 + 0.9 * onset;
        }
        pressure = Math.Max(0.01, pressure);
        var totalizer = 250_000 + 1_000 * r.Device + 100 * r.SinceStart.TotalHours;
        var battery = Math.Round(Math.Clamp(88 - 0.2 * r.SinceStart.TotalDays - 2 * r.Uniform(5), 0, 100), 0);
        var pressureReading = r.Device % 2 == 1
            ? Observation.Quantity("pressure", Math.Round(pressure * 1000, 1), "kPa")
            : Observation.Quantity("pressure", Math.Round(pressure, 3), "MPa");
        Observation[] observations = faulty
            ? [Observation.Quantity("totalizer", Math.Round(totalizer, 1), "m3")]
            : [pressureReading, Observation.Quantity("flow", Math.Round(flow, 1), "m3/h"), Observation.Quantity("totalizer", Math.Round(totalizer, 1), "m3")];
        return (observations, battery);
    }

    /// <summary>Utility-tunnel cabin environment.</summary>
    private static (Observation[], double) Cabin(Reading r, bool faulty)
    {
        var temperature = 23 + 1.5 * Math.Cos(2 * Math.PI * (r.LocalHour - 15) / 24) + 0.1 * r.Gaussian(1);
        var humidity = Math.Clamp(68 + 3 * r.Smooth(2, 3600) + 0.5 * r.Gaussian(3), 0, 100);
        var o2 = 20.9 + 0.05 * r.Gaussian(4);
        var ch4 = Math.Max(0, 0.1 + 0.05 * r.Gaussian(5));
        var h2s = Math.Max(0, 0.3 + 0.1 * r.Gaussian(6));
        var water = Math.Max(0, 30 + 5 * r.Smooth(7, 7200) + r.Gaussian(8));
        Observation[] observations = faulty
            ? [Observation.State("fire", "fault")]
            : [
                Observation.Quantity("temperature", Math.Round(temperature, 1), "Cel"),
                Observation.Quantity("humidity", Math.Round(humidity, 1), "%{RH}"),
                Observation.Quantity("o2", Math.Round(o2, 2), "%{vol}"),
                Observation.Quantity("ch4", Math.Round(ch4, 1), "%{LEL}"),
                Observation.Quantity("h2s", Math.Round(h2s, 2), "mg/m3"),
                Observation.Quantity("water_level", Math.Round(water, 0), "mm"),
                Observation.Flag("intrusion", false),
                Observation.State("fire", "normal"),
            ];
        return (observations, 100);
    }

    /// <summary>Water demand over the day, 0.3 at night to about 1 at the morning and evening peaks.</summary>
    private static double Demand(double hour) =>
        0.45 + 0.5 * Math.Exp(-Math.Pow(hour - 7.5, 2) / 2) + 0.4 * Math.Exp(-Math.Pow(hour - 19.5, 2) / 3) - 0.15 * Math.Exp(-Math.Pow(hour - 3.5, 2) / 4);

    /// <summary>One reading's inputs, with the device's noise at this instant.</summary>
    private readonly record struct Reading(int Seed, int Device, DateTimeOffset Time, DateTimeOffset Start, TimeSpan? SinceEvent)
    {
        public TimeSpan SinceStart => Time - Start;

        public double LocalHour => (Time.ToOffset(BeijingOffset).TimeOfDay.TotalHours + 24) % 24;

        private long Step => Time.ToUnixTimeMilliseconds() / 1000;

        public double Gaussian(int channel) => Noise.Gaussian(Seed, Device, channel, Step);

        public double Uniform(int channel) => Noise.Uniform(Seed, Device, channel, Step);

        public double Smooth(int channel, double periodSeconds) => Noise.Smooth(Seed, Device, channel, Time.ToUnixTimeMilliseconds() / 1000.0, periodSeconds);
    }
}
