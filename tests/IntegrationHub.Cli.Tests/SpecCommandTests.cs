namespace IntegrationHub.Cli.Tests;

/// <summary><c>ihub spec</c> against a running hub's <c>/specs/v1</c> and a local folder.</summary>
public sealed class SpecCommandTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private string HubUrl => fixture.Hub.BaseAddress.ToString();

    [Fact]
    public async Task List_FromTheHub_ShowsProfilesSchemasAndRequirements()
    {
        var run = await Cli.RunAsync("spec", "list", "--hub", HubUrl);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("gas.underground-methane", run.Output, StringComparison.Ordinal);
        Assert.Contains("telemetry-message", run.Output, StringComparison.Ordinal);
        Assert.Contains("CERT-010", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_ARequirementAnErrorAndAProfile_FromAFolder()
    {
        var requirement = await Cli.RunAsync("spec", "show", "CERT-003", "--dir", Cli.Specs);
        Assert.True(requirement.ExitCode == 0, requirement.ToString());
        Assert.Contains("Reporting interval", requirement.Output, StringComparison.Ordinal);
        var error = await Cli.RunAsync("spec", "show", "unit.unknown", "--hub", HubUrl);
        Assert.Contains("Fix:", error.Output, StringComparison.Ordinal);
        Assert.Contains("CERT-002", error.Output, StringComparison.Ordinal);
        var profile = await Cli.RunAsync("spec", "show", "gas.underground-methane");
        Assert.Contains("\"lelVolPercent\"", profile.Output, StringComparison.Ordinal);
        Assert.Equal(1, (await Cli.RunAsync("spec", "show", "no-such-thing")).ExitCode);
    }

    [Fact]
    public async Task Download_FromTheHub_WritesTheSpecAsPublished_AndValidateUsesIt()
    {
        var target = Cli.TempDirectory();
        var run = await Cli.RunAsync("spec", "download", "--hub", HubUrl, "--out", target);
        Assert.True(run.ExitCode == 0, run.ToString());
        var published = Directory.EnumerateFiles(Cli.Specs, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Cli.Specs, f)).Order(StringComparer.Ordinal);
        var downloaded = Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(target, f)).Order(StringComparer.Ordinal);
        Assert.Equal(published, downloaded);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Cli.Specs, "requirements.json")), File.ReadAllBytes(Path.Combine(target, "requirements.json")));

        var validate = await Cli.RunAsync("validate", Path.Combine(target, "examples", "telemetry-message", "valid"), "--spec-dir", target);
        Assert.True(validate.ExitCode == 0, validate.ToString());
    }

    [Fact]
    public async Task UnreachableHub_ExitsWithThree_AndBadUsageWithTwo()
    {
        var closed = $"http://127.0.0.1:{FreePort.Next()}";
        var run = await Cli.RunAsync("spec", "list", "--hub", closed);
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Equal(2, (await Cli.RunAsync("spec", "list", "--hub", "not a url")).ExitCode);
        Assert.Equal(2, (await Cli.RunAsync("spec", "list", "--hub", HubUrl, "--dir", Cli.Specs)).ExitCode);
        Assert.Equal(2, (await Cli.RunAsync("spec", "download")).ExitCode);
    }
}
