using System.Text.RegularExpressions;
using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Conformance.Tests.Spec;

public sealed partial class RequirementCatalogTests
{
    private static readonly SpecCatalog Spec = SpecCatalog.LoadDirectory(Paths.Specs);

    [Fact]
    public void EveryErrorCode_BelongsToARequirement()
    {
        Assert.All(Spec.Errors.All, e => Assert.NotEmpty(Spec.Requirements.ForError(e.Code)));
    }

    [Fact]
    public void EveryCodeARequirementNames_IsInTheErrorCatalogue()
    {
        Assert.All(Spec.Requirements.All.SelectMany(r => r.Errors), code => Assert.True(Spec.Errors.TryGet(code, out _), code));
    }

    [Fact]
    public void Load_ErrorCodeWithoutARequirement_IsRefused()
    {
        var problems = SpecMutations.Problems("requirements.json", document =>
        {
            foreach (var requirement in document["requirements"]!.AsArray())
            {
                requirement!["errors"]!.AsArray().Remove(requirement["errors"]!.AsArray().FirstOrDefault(c => (string?)c == "grant.not-found"));
            }
        });

        Assert.Contains("errors.json: code 'grant.not-found' belongs to no requirement in requirements.json", problems);
    }

    [Fact]
    public void Load_RequirementNamingAnUnknownCode_IsRefused()
    {
        var problems = SpecMutations.Problems("requirements.json", document => document["requirements"]![0]!["errors"]!.AsArray().Add("batch.too-big"));

        Assert.Contains(problems, p => p.EndsWith("names error code 'batch.too-big', which errors.json does not list", StringComparison.Ordinal));
    }

    /// <summary>Code and documents cite requirements by id (TEL-004); every id cited exists.</summary>
    [Fact]
    public void EveryRequirementCited_Exists()
    {
        var files = Directory.EnumerateFiles(Paths.Specs, "*.md", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(Paths.RepositoryRoot, "src"), "*.cs", SearchOption.AllDirectories))
            .Concat(Directory.EnumerateFiles(Path.Combine(Paths.RepositoryRoot, "src"), "*.razor", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        var prefixes = string.Join('|', Spec.Requirements.Groups.Select(g => g.Prefix));
        var cited = files.SelectMany(f => Regex.Matches(File.ReadAllText(f), $@"\b(?:{prefixes})-[0-9]{{3}}\b").Select(m => (File: Path.GetRelativePath(Paths.RepositoryRoot, f), m.Value)))
            .ToList();

        Assert.NotEmpty(cited);
        Assert.All(cited, c => Assert.True(Spec.Requirements.TryGet(c.Value, out _), $"{c.File} cites {c.Value}, which requirements.json does not define"));
    }
}
