using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Conformance.Tests.Profiles;

/// <summary>
/// specs/message-schemas/ holds each profile's checks as a JSON Schema, generated from the profile. This test fails
/// when a file differs from what the profile generates; run it with IHUB_UPDATE_SPECS=1 to rewrite them, then review.
/// </summary>
public sealed class MessageSchemaTests
{
    public const string UpdateVariable = "IHUB_UPDATE_SPECS";

    [Fact]
    public void CheckedInMessageSchemas_AreWhatTheProfilesGenerate()
    {
        var spec = SpecCatalog.LoadDirectory(Paths.Specs);
        var folder = Path.Combine(Paths.Specs, MessageSchemaGenerator.Folder);
        var update = Environment.GetEnvironmentVariable(UpdateVariable) == "1";
        if (update)
        {
            Directory.CreateDirectory(folder);
            foreach (var stale in Directory.GetFiles(folder))
            {
                File.Delete(stale);
            }
        }

        foreach (var profile in spec.Profiles.Values)
        {
            var path = Path.Combine(Paths.Specs, MessageSchemaGenerator.PathOf(profile.Id));
            var generated = MessageSchemaGenerator.Generate(profile);
            if (update)
            {
                File.WriteAllBytes(path, generated);
            }
            Assert.True(File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(generated),
                $"{MessageSchemaGenerator.PathOf(profile.Id)} differs from what profiles/{profile.Id}.json generates; run the tests with {UpdateVariable}=1 and review the diff.");
        }
        Assert.Equal(
            spec.Profiles.Keys.Select(MessageSchemaGenerator.PathOf).Order(),
            Directory.GetFiles(folder).Select(f => MessageSchemaGenerator.Folder + "/" + Path.GetFileName(f)).Order());
    }
}
