using BenchmarkDotNet.Attributes;
using IntegrationHub.Adapters.Codecs;

namespace IntegrationHub.Bench.Micro;

/// <summary>Decoding a 100-message request body into the canonical batch document: canonical JSON (a parse) and SenML (a translation).</summary>
public class DecodeBenchmarks
{
    private readonly CanonicalJsonCodec _canonical = new();
    private readonly SenmlJsonCodec _senml = new(TimeProvider.System);
    private readonly CodecContext _methane = new() { Profile = Suite.BenchHub.Profile };
    private byte[] _json = [];
    private byte[] _pack = [];

    [GlobalSetup]
    public void Setup()
    {
        _json = MicroBenchmarks.CanonicalBatch();
        _pack = MicroBenchmarks.SenmlPack();
    }

    [Benchmark(Description = "canonical JSON, 100 messages")]
    public int CanonicalJson()
    {
        using var document = _canonical.Decode(_json, CodecContext.Empty);
        return document.RootElement.GetProperty("messages").GetArrayLength();
    }

    [Benchmark(Description = "SenML, 100 records")]
    public int Senml()
    {
        using var document = _senml.Decode(_pack, _methane);
        return document.RootElement.GetProperty("messages").GetArrayLength();
    }
}
