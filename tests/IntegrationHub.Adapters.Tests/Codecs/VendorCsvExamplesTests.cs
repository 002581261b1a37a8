using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Codecs;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Testing;

namespace IntegrationHub.Adapters.Tests.Codecs;

/// <summary>
/// The spec's CSV examples (examples/manifest.json, <c>vendor-csv</c>) get the verdict the manifest gives them: decoded
/// by the hub's codec, sent with the media type the manifest names, then each message judged by the one validator.
/// </summary>
public sealed class VendorCsvExamplesTests
{
    private const string Format = "vendor-csv";

    // The examples' times are in late 2026; the clock is fixed, as in the spec's own example tests.
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.FromHours(8));
    private static readonly string Specs = Path.Combine(Repository.Root, "specs");
    private static readonly SpecCatalog Spec = SpecCatalog.LoadDirectory(Specs);

    private static IEnumerable<JsonNode> Entries() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Specs, "examples", "manifest.json")))!["examples"]!.AsArray()
            .Where(e => e!["schema"]!.GetValue<string>() == Format)!;

    public static TheoryData<string> Files() => new(Entries().Select(e => e["file"]!.GetValue<string>()));

    [Fact]
    public void Manifest_HasValidAndInvalidCsvExamples()
    {
        Assert.Contains(Entries(), e => e["valid"]!.GetValue<bool>());
        Assert.Contains(Entries(), e => !e["valid"]!.GetValue<bool>());
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Example_GetsTheManifestVerdict(string file)
    {
        var entry = Entries().Single(e => e["file"]!.GetValue<string>() == file);
        var mediaType = MediaTypeHeaderValue.Parse(entry["mediaType"]!.GetValue<string>());
        Assert.Equal("text/csv", mediaType.MediaType);
        var profile = mediaType.Parameters.FirstOrDefault(p => p.Name == "profile")?.Value;

        using var batch = new VendorCsvCodec().Decode(File.ReadAllBytes(Path.Combine(Specs, "examples", file)), new CodecContext { Profile = profile });
        var findings = batch.RootElement.GetProperty("messages").EnumerateArray()
            .SelectMany((message, i) => Spec.Validator.Validate(message, new ValidationContext { Now = Now }).Findings.Select(f => (f.Code, $"/messages/{i}{f.Pointer}")))
            .ToList();

        Assert.Equal(entry["valid"]!.GetValue<bool>(), findings.Count == 0);
        Assert.Equal(
            (entry["errors"]?.AsArray() ?? []).Select(e => (e!["code"]!.GetValue<string>(), e["pointer"]!.GetValue<string>())).Order(),
            findings.Order());
    }
}
