using System.Text.Json;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Conformance.Tests.Spec;

/// <summary>Every example in specs/examples gets the verdict specs/examples/manifest.json says it gets.</summary>
public sealed class SpecExamplesTests
{
    // The examples' times are in late 2026; the clock is fixed so that none drifts into the future.
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.FromHours(8));
    private static readonly SpecCatalog Spec = SpecCatalog.LoadDirectory(Paths.Specs);

    internal sealed record Expected(string Code, string Pointer);

    internal sealed record Example(string File, string Schema, bool ProfileChecks, bool Valid, Expected[]? Errors, bool NationalProfile = false)
    {
        public bool IsJson => File.EndsWith(".json", StringComparison.Ordinal);
    }

    internal sealed record Manifest(Example[] Examples, string[] ContextOnlyCodes);

    private static readonly JsonSerializerOptions ManifestOptions = new(JsonSerializerDefaults.Web);

    internal static Manifest Load() =>
        JsonSerializer.Deserialize<Manifest>(File.ReadAllText(Path.Combine(Paths.Specs, "examples", "manifest.json")), ManifestOptions)!;

    public static TheoryData<string> ExampleFiles() => new(Load().Examples.Where(e => e.IsJson).Select(e => e.File));

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

    /// <summary>
    /// The profile's generated message schema reaches the same verdict without the hub's code, except where the only
    /// findings need context no schema has (the receiver's clock, the device registry): there it accepts.
    /// </summary>
    [Theory]
    [MemberData(nameof(ProfileCheckedExampleFiles))]
    public void Example_GetsTheSameVerdictFromTheProfilesMessageSchema(string file)
    {
        var manifest = Load();
        var example = manifest.Examples.Single(e => e.File == file);
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Paths.Specs, "examples", file)));
        var contextOnly = !example.Valid && example.Errors!.All(e => manifest.ContextOnlyCodes.Contains(e.Code));

        var valid = MessageSchemas.Value[ProfileOf(file, document.RootElement)].Evaluate(document.RootElement).IsValid;

        Assert.Equal(example.Valid || contextOnly, valid);
    }

    public static TheoryData<string> ProfileCheckedExampleFiles() => new(Load().Examples.Where(e => e.ProfileChecks).Select(e => e.File));

    /// <summary>The profile an example is judged against: its folder's, else the one the message names.</summary>
    private static string ProfileOf(string file, JsonElement message) =>
        file.StartsWith("profiles/", StringComparison.Ordinal) ? file.Split('/')[1] : message.GetProperty("profile").GetString()!;

    private static readonly Lazy<Dictionary<string, Json.Schema.JsonSchema>> MessageSchemas = new(() =>
    {
        var options = SchemaEngine.CreateBuildOptions();
        var message = Spec.Schema(SpecCatalog.TelemetryMessageSchema);
        Json.Schema.JsonSchema.Build(message.Root, options, message.Id);
        return Spec.Profiles.Keys.ToDictionary(id => id, id =>
        {
            var root = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Paths.Specs, MessageSchemaGenerator.PathOf(id)))).RootElement;
            return Json.Schema.JsonSchema.Build(root, options, new Uri(root.GetProperty("$id").GetString()!));
        });
    });

    [Fact]
    public void Manifest_ListsEveryExampleFile()
    {
        var root = Path.Combine(Paths.Specs, "examples");
        var onDisk = Directory.GetFiles(root, "*", SearchOption.AllDirectories)
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
