using System.Text;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Tests.Profiles;

namespace IntegrationHub.Conformance.Tests.Spec;

/// <summary>specs/README.md shows the requirements catalogue, rendered from requirements.json; this test keeps it so.</summary>
public sealed class RequirementsReadmeTests
{
    private const string Begin = "<!-- requirements:begin -->";
    private const string End = "<!-- requirements:end -->";

    [Fact]
    public void Readme_ShowsTheRequirementsCatalogue()
    {
        var path = Path.Combine(Paths.Specs, "README.md");
        var readme = File.ReadAllText(path);
        var start = readme.IndexOf(Begin, StringComparison.Ordinal);
        var end = readme.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"specs/README.md needs the markers {Begin} and {End}.");

        var expected = readme[..(start + Begin.Length)] + "\n" + Render(SpecCatalog.LoadDirectory(Paths.Specs).Requirements) + readme[end..];
        if (Environment.GetEnvironmentVariable(MessageSchemaTests.UpdateVariable) == "1")
        {
            File.WriteAllText(path, expected);
            readme = expected;
        }

        Assert.True(expected == readme, $"specs/README.md's requirements list differs from requirements.json; run the tests with {MessageSchemaTests.UpdateVariable}=1.");
    }

    private static string Render(RequirementCatalog requirements)
    {
        var text = new StringBuilder();
        foreach (var group in requirements.Groups)
        {
            text.Append("\n**").Append(group.Prefix).Append(" — ").Append(group.Title).Append(".** ").Append(group.Description).Append("\n\n");
            text.Append("| id | requirement | error codes |\n|---|---|---|\n");
            foreach (var requirement in requirements.All.Where(r => r.Id.StartsWith(group.Prefix + "-", StringComparison.Ordinal)))
            {
                text.Append("| ").Append(requirement.Id).Append(" | **").Append(requirement.Title).Append(".** ").Append(requirement.Statement.Replace("|", "\\|", StringComparison.Ordinal))
                    .Append(" | ").Append(string.Join(", ", requirement.Errors.Select(c => $"`{c}`"))).Append(" |\n");
            }
        }
        return text.ToString();
    }
}
