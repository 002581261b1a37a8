using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Conformance.Tests.Spec;

/// <summary>Loads the repository's spec with one file edited, and returns the problems that keep it from loading.</summary>
internal static class SpecMutations
{
    public static IReadOnlyList<string> Problems(string path, Action<JsonNode> edit)
    {
        var files = SpecCatalog.LoadDirectory(Paths.Specs).Files.ToDictionary(f => f.Path, f => f.Content, StringComparer.Ordinal);
        var document = JsonNode.Parse(files[path])!;
        edit(document);
        files[path] = Encoding.UTF8.GetBytes(document.ToJsonString());

        return Assert.Throws<SpecException>(() => SpecCatalog.Load(files.Select(f => new SpecFile(f.Key, f.Value)))).Problems;
    }
}
