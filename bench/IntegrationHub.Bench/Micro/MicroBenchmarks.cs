using System.Globalization;
using System.Text;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using IntegrationHub.Bench.Suite;

namespace IntegrationHub.Bench.Micro;

/// <summary>
/// The micro-benchmarks of the ingest path's parts, with BenchmarkDotNet and its memory diagnoser: <c>micro</c> on the
/// command line, followed by BenchmarkDotNet's own arguments (<c>--filter *Rule*</c>, <c>--list flat</c>…). They run in
/// process (no generated project to build), which is enough for code that does not depend on the JIT settings of a
/// separate process.
/// </summary>
internal static class MicroBenchmarks
{
    public static void Run(string[] arguments, bool smoke, string output)
    {
        var job = smoke ? Job.Dry : Job.Default;
        var config = DefaultConfig.Instance
            .AddJob(job.WithToolchain(InProcessEmitToolchain.Instance).AsDefault())
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithArtifactsPath(Path.Combine(output, "micro"));
        var filter = arguments.Length == 0 ? ["--filter", "*"] : arguments;
        BenchmarkSwitcher.FromAssembly(typeof(MicroBenchmarks).Assembly).Run(filter, config);
    }

    /// <summary>A 100-message canonical batch, as the scenarios send it.</summary>
    public static byte[] CanonicalBatch()
    {
        var sequence = 0;
        return Telemetry.Batch("m", ref sequence).Body;
    }

    /// <summary>The same 100 readings as a SenML pack (RFC 8428): a base name per device, the metric as the record's name.</summary>
    public static byte[] SenmlPack()
    {
        var seconds = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds();
        var pack = new StringBuilder("[");
        for (var i = 0; i < Telemetry.MessagesPerBatch; i++)
        {
            pack.Append(i == 0 ? "" : ",").Append(CultureInfo.InvariantCulture, $"{{\"bn\":\"d{i}/\",\"bt\":{seconds},\"n\":\"ch4\",\"u\":\"%LEL\",\"v\":{i % 97 / 10.0}}}");
        }
        return Encoding.UTF8.GetBytes(pack.Append(']').ToString());
    }
}
