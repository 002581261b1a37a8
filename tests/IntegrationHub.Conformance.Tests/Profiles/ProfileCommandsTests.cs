using System.Text;
using System.Text.Json;
using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Conformance.Tests.Profiles;

/// <summary>A profile's commands (CMD-001): each with a parameter schema that builds, stays inside itself, and checks the parameters a caller sends.</summary>
public sealed class ProfileCommandsTests
{
    private const string Profile = """
        {"id":"gas.test","version":"1.0.0","domain":"gas","title":"Test","titleZh":"测试","reporting":{"interval":"PT5M"},
         "metrics":{"ch4":{"title":"CH4","titleZh":"甲烷","kind":"quantity","unit":"%{LEL}","range":{"min":0,"max":100}}},
         "commands":COMMANDS,
         "rules":[]}
        """;

    private static SpecCatalog Load(string commands)
    {
        var files = SpecCatalog.LoadEmbedded().Files.Where(f => !f.Path.StartsWith("profiles/", StringComparison.Ordinal));
        return SpecCatalog.Load([.. files, new SpecFile("profiles/gas.test.json", Encoding.UTF8.GetBytes(Profile.Replace("COMMANDS", commands, StringComparison.Ordinal)))]);
    }

    [Fact]
    public void DeclaredCommands_Compile()
    {
        var spec = Load("""{"valve.close":{"title":"Close","parameters":{"type":"object","$defs":{"r":{"type":"string"}},"properties":{"reason":{"$ref":"#/$defs/r"}}}}}""");

        Assert.Equal(["valve.close"], spec.Profiles["gas.test"].Commands.Keys);
    }

    [Theory]
    [InlineData("""{"valve.close":{"title":"Close","parameters":{"type":"object","$ref":"https://example.com/valve.json"}}}""", "command 'valve.close': its parameter schema refers outside itself")]
    [InlineData("""{"close":{"title":"Close","parameters":{"type":"object"}}}""", "message.invalid-value at '/commands/close'")]
    [InlineData("""{"valve.close":{"title":"Close","parameters":{"type":"string"}}}""", "at '/commands/valve.close/parameters/type'")]
    [InlineData("""{"valve.close":{"title":"Close"}}""", "at '/commands/valve.close/parameters'")]
    public void BrokenCommands_FailTheSpec_NamingTheProblem(string commands, string expected)
    {
        var error = Assert.Throws<SpecException>(() => Load(commands));

        Assert.True(error.Problems.Any(p => p.Contains(expected, StringComparison.Ordinal)), string.Join("\n", error.Problems));
    }

    [Fact]
    public void Parameters_AreCheckedAgainstTheProfilesSchema_WithPointersIntoTheRequest()
    {
        var command = SpecCatalog.LoadEmbedded().Profiles["gas.underground-methane"].Commands["reporting.set-interval"];

        Assert.Empty(command.CheckParameters(JsonDocument.Parse("""{"intervalSeconds":300}""").RootElement, "/parameters"));
        var findings = command.CheckParameters(JsonDocument.Parse("""{"intervalSeconds":30,"colour":"red"}""").RootElement, "/parameters");
        Assert.Contains(findings, f => f is { Code: "message.invalid-value", Pointer: "/parameters/intervalSeconds" });
        Assert.Contains(findings, f => f is { Code: "message.unknown-field", Pointer: "/parameters/colour" });
    }

    [Fact]
    public void GasProfiles_DeclareTheirValves()
    {
        var profiles = SpecCatalog.LoadEmbedded().Profiles;

        Assert.Contains("valve.close", profiles["gas.restaurant-detector"].Commands.Keys);
        Assert.Contains("valve.open", profiles["gas.restaurant-detector"].Commands.Keys);
        Assert.Contains("valve.close", profiles["gas.pipeline-pressure-flow"].Commands.Keys);
        Assert.Contains("valve.open", profiles["gas.pipeline-pressure-flow"].Commands.Keys);
    }
}
