namespace IntegrationHub.Simulator.Devices;

/// <summary>
/// Deterministic noise: a pure function of the seed, the device, a channel and a step, so that a scenario replays
/// exactly from its seed whatever order readings are asked for in (no shared random state).
/// </summary>
internal static class Noise
{
    /// <summary>Uniform in [0, 1).</summary>
    public static double Uniform(int seed, int device, int channel, long step)
    {
        var x = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)device * 0xBF58476D1CE4E5B9UL ^ (ulong)channel * 0x94D049BB133111EBUL ^ (ulong)step);
        // SplitMix64 finalizer: every input bit reaches every output bit.
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return (x >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>Roughly normal, mean 0 and standard deviation 1 (sum of four uniforms).</summary>
    public static double Gaussian(int seed, int device, int channel, long step)
    {
        var sum = 0.0;
        for (var i = 0; i < 4; i++)
        {
            sum += Uniform(seed, device, channel * 8 + i, step);
        }
        return (sum - 2.0) * Math.Sqrt(3.0);
    }

    /// <summary>Smooth noise: interpolated between draws <paramref name="period"/> steps apart, for slow wander.</summary>
    public static double Smooth(int seed, int device, int channel, double position, double period)
    {
        var at = position / period;
        var step = (long)Math.Floor(at);
        var fraction = at - step;
        var blend = fraction * fraction * (3 - 2 * fraction);
        return Gaussian(seed, device, channel, step) * (1 - blend) + Gaussian(seed, device, channel, step + 1) * blend;
    }
}
