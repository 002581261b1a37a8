namespace IntegrationHub.Bench.Suite;

/// <summary>
/// Latency samples in milliseconds and their percentiles: the one place the suite computes them. A sample that never
/// completed by the end of a scenario (an event not delivered, a request not answered) counts as missing, worse than
/// any measured one: a percentile that falls among the missing is infinite (reported as "behind"), so a scenario that
/// falls behind never reports a flattering figure over the few events that made it.
/// </summary>
internal sealed class Latencies
{
    private readonly Lock _lock = new();
    private readonly List<double> _samples = [];
    private bool _sorted = true;
    private int _missing;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _samples.Count;
            }
        }
    }

    public int Missing
    {
        get
        {
            lock (_lock)
            {
                return _missing;
            }
        }
    }

    public void Add(double milliseconds)
    {
        lock (_lock)
        {
            _samples.Add(milliseconds);
            _sorted = false;
        }
    }

    public void AddMissing(int count)
    {
        lock (_lock)
        {
            _missing += count;
        }
    }

    /// <summary>The nearest-rank percentile (<paramref name="p"/> in 0–1) over every sample, the missing ones included.</summary>
    public double Percentile(double p)
    {
        lock (_lock)
        {
            var total = _samples.Count + _missing;
            if (total == 0)
            {
                return double.NaN;
            }
            if (!_sorted)
            {
                _samples.Sort();
                _sorted = true;
            }
            var rank = Math.Clamp((int)Math.Ceiling(p * total) - 1, 0, total - 1);
            return rank < _samples.Count ? _samples[rank] : double.PositiveInfinity;
        }
    }

    public double Max => Percentile(1);

    /// <summary>The median of a few repeated figures (rates of several rounds).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN
            : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2]
            : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
