using System.Text.RegularExpressions;
using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Conformance.Tests.Spec;

/// <summary>
/// The AsyncAPI document repeats a few lists the spec keeps elsewhere; these stay equal. (Its validity is checked by
/// the AsyncAPI parser and Spectral in tools/spec-check.)
/// </summary>
public sealed partial class AsyncApiTests
{
    private static readonly SpecCatalog Spec = SpecCatalog.LoadDirectory(Paths.Specs);
    private static readonly string Document = File.ReadAllText(Path.Combine(Paths.Specs, "asyncapi", "asyncapi.yaml"));

    [Fact]
    public void DomainParameter_ListsTheProfileSchemasDomains()
    {
        var domains = Spec.Schema(SpecCatalog.ProfileSchema).Root.GetProperty("$defs").GetProperty("domain").GetProperty("enum")
            .EnumerateArray().Select(d => d.GetString()!);

        var listed = DomainEnum().Match(Document).Groups["values"].Value.Split(',', StringSplitOptions.TrimEntries);

        Assert.Equal(domains, listed);
    }

    [Fact]
    public void CloudEventProperties_CarryEveryExtensionOfTheEvents()
    {
        var properties = Document[Document.IndexOf("    cloudEventProperties:", StringComparison.Ordinal)..Document.IndexOf("    cloudEvent:", StringComparison.Ordinal)];

        Assert.All(Spec.Events.Extensions.Keys, name => Assert.Contains($"\n        {name}:\n", properties, StringComparison.Ordinal));
    }

    [Fact]
    public void EveryTopicTheRequirementsName_IsAChannel()
    {
        Assert.True(Spec.Requirements.TryGet("MQTT-001", out var topics));
        var named = Topic().Matches(topics.Statement).Select(m => m.Value).ToList();

        Assert.NotEmpty(named);
        Assert.All(named, topic => Assert.Contains($"address: '{topic}'", Document, StringComparison.Ordinal));
    }

    [GeneratedRegex(@"domain:\n\s+description: [^\n]*\n\s+enum: \[(?<values>[^\]]+)\]")]
    private static partial Regex DomainEnum();

    [GeneratedRegex(@"hub/v1/[a-z]+(/\{[A-Za-z]+\})+")]
    private static partial Regex Topic();
}
