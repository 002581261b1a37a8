using System.Text.Json;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Conformance.Tests.Spec;

/// <summary>Every example in specs/examples gets the verdict specs/examples/manifest.json says it gets.</summary>
public sealed class SpecExamplesTests
{
    // The examples' times are in late 2026; the clock is fixed so that none drifts into the future.
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.FromHours(8));
    private static readonly SpecCatalog Spec = SpecCatalog.LoadDirectory(Paths.Specs);

    private sealed record Expected(string Code, string Pointer);

    private sealed record Example(string File, string Schema, bool ProfileChecks, bool Valid, Expected[]? Errors);

    private sealed record Manifest(Example[] Examples);

    private static readonly JsonSerializerOptions ManifestOptions = new(JsonSerializerDefaults.Web);

    private static Manifest Load() =>
        JsonSerializer.Deserialize<Manifest>(File.ReadAllText(Path.Combine(Paths.Specs, "examples", "manifest.json")), ManifestOptions)!;

    public static TheoryData<string> ExampleFiles() => new(Load().Examples.Select(e => e.File));

    [Theory]
    [MemberData(nameof(ExampleFiles))]
    public void Example_GetsTheManifestVerdict(string file)
    {
        var example = Load().Examples.Single(e => e.File == file);
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Paths.Specs, "examples", file)));

        IReadOnlyList<Finding> findings = example.ProfileChecks
            ? Spec.Validator.Validate(document.RootElement, new ValidationContext { Now = Now }).Findings
            : SchemaFindings.Evaluate(Spec.Schema(example.Schema), document.RootElement);

        Assert.Equal(example.Valid, findings.Count == 0);
        Assert.Equal(
            (example.Errors ?? []).Select(e => (e.Code, e.Pointer)).Order(),
            findings.Select(f => (f.Code, f.Pointer)).Order());
    }

    [Fact]
    public void Manifest_ListsEveryExampleFile()
    {
        var root = Path.Combine(Paths.Specs, "examples");
        var onDisk = Directory.GetFiles(root, "*.json", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => f != "manifest.json");

        Assert.Empty(onDisk.Except(Load().Examples.Select(e => e.File)));
    }

    [Fact]
    public void EverySchema_HasValidAndInvalidExamples()
    {
        var examples = Load().Examples;

        Assert.All(Spec.Schemas.Keys, schema =>
        {
            Assert.Contains(examples, e => e.Schema == schema && e.Valid);
            Assert.Contains(examples, e => e.Schema == schema && !e.Valid);
        });
    }

    [Fact]
    public void EveryProfile_HasValidAndInvalidExamples()
    {
        var examples = Load().Examples;

        Assert.All(Spec.Profiles.Keys, profile =>
        {
            Assert.Contains(examples, e => e.File.StartsWith($"profiles/{profile}/valid/", StringComparison.Ordinal));
            Assert.Contains(examples, e => e.File.StartsWith($"profiles/{profile}/invalid/", StringComparison.Ordinal));
        });
    }

    [Fact]
    public void EmbeddedSpec_IsTheSpecFolder()
    {
        var embedded = SpecCatalog.LoadEmbedded();

        Assert.Equal(Spec.Files.Select(f => (f.Path, f.ETag)), embedded.Files.Select(f => (f.Path, f.ETag)));
    }
}
