using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Spec;
using Json.Schema;

namespace IntegrationHub.Conformance.Tests.Spec;

public sealed class EventCatalogTests
{
    private static readonly SpecCatalog Spec = SpecCatalog.LoadDirectory(Paths.Specs);

    public static TheoryData<string> EventTypes() => new(Spec.Events.Types.Select(t => t.Type));

    /// <summary>
    /// Each listed type, as a structured CloudEvent with the placeholders of its source and subject filled in and a valid
    /// example of its data schema as data, is valid against the official CloudEvents schema ($IHUB_ORACLES).
    /// </summary>
    [Theory]
    [MemberData(nameof(EventTypes))]
    public void EventType_MakesAValidCloudEvent(string type)
    {
        var cloudEvents = CloudEventsSchema();
        var listed = Spec.Events[type];
        var schema = Spec.Schemas.Values.Single(s => s.Id == listed.DataSchema);
        var example = SpecExamplesTests.Load().Examples.First(e => e.Schema == schema.Name && e.Valid);
        var data = JsonNode.Parse(File.ReadAllText(Path.Combine(Paths.Specs, "examples", example.File)))!;
        var cloudEvent = new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = "01JD8Z3K6N0000000000000001",
            ["source"] = Fill(listed.Source),
            ["type"] = listed.Type,
            ["subject"] = Fill(listed.Subject),
            ["time"] = "2026-11-28T02:16:00Z",
            ["datacontenttype"] = "application/json",
            ["dataschema"] = listed.DataSchema.ToString(),
            ["data"] = data,
        };
        foreach (var extension in listed.Extensions)
        {
            cloudEvent[extension] = "x";
        }

        var result = cloudEvents.Evaluate(JsonSerializer.SerializeToElement(cloudEvent), new EvaluationOptions { OutputFormat = OutputFormat.List });

        Assert.True(result.IsValid, string.Join("; ", result.Details?.Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")) ?? []));
        Assert.DoesNotContain('{', Fill(listed.Source) + Fill(listed.Subject));
    }

    [Fact]
    public void Load_UndeclaredExtension_IsRefused()
    {
        var problems = SpecMutations.Problems("events.json", document => document["types"]![0]!["extensions"]!.AsArray().Add("tenant"));

        Assert.Contains("events.json: city.integrationhub.observation.v1 uses extension 'tenant', which is not declared", problems);
    }

    [Fact]
    public void Load_DataSchemaOutsideTheSpec_IsRefused()
    {
        var problems = SpecMutations.Problems("events.json", document => document["types"]![0]!["dataschema"] = "https://example.com/observation.json");

        Assert.Contains(problems, p => p.Contains("names data schema https://example.com/observation.json, which is not a schema of the spec", StringComparison.Ordinal));
    }

    private static readonly Lazy<JsonSchema> OfficialSchema = new(() =>
        JsonSchema.FromFile(Paths.Oracle("cloudevents/cloudevents.schema.json"), new BuildOptions { SchemaRegistry = new SchemaRegistry() }));

    // The oracle check (skip or fail) runs on every call; the schema is built once, since a registry keeps its $id.
    private static JsonSchema CloudEventsSchema()
    {
        Paths.Oracle("cloudevents/cloudevents.schema.json");
        return OfficialSchema.Value;
    }

    private static string Fill(string template) => template
        .Replace("{hubId}", "qingdao", StringComparison.Ordinal)
        .Replace("{organizationId}", "shinan", StringComparison.Ordinal)
        .Replace("{deviceId}", "ch4-shinan-0001", StringComparison.Ordinal)
        .Replace("{alertId}", "al-01JD8Z3K6N0000000000000007", StringComparison.Ordinal)
        .Replace("{sender}", "qingdao-met", StringComparison.Ordinal)
        .Replace("{identifier}", "37020041600000_20261128080000_0", StringComparison.Ordinal);
}
