using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.OpenApi;

namespace IntegrationHub.Gateway.Tests.OpenApi;

/// <summary>What the OpenAPI document the hub serves says about errors, request bodies and webhooks.</summary>
public sealed class OpenApiTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private static readonly SpecCatalog Spec = SpecCatalog.LoadEmbedded();

    private async Task<JsonNode> DocumentAsync()
    {
        using var client = fixture.Hub.CreateClient();
        return JsonNode.Parse(await client.GetStringAsync(new Uri("/swagger/v1/swagger.json", UriKind.Relative)))!;
    }

    [Fact]
    public async Task EveryErrorResponse_IsProblemDetails()
    {
        var document = await DocumentAsync();
        var operations = document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(o => (Name: $"{o.Key.ToUpperInvariant()} {p.Key}", Operation: o.Value!))).ToList();

        Assert.NotEmpty(operations);
        Assert.All(operations, o =>
        {
            var errors = o.Operation["responses"]!.AsObject().Where(r => r.Key == "default" || r.Key[0] is '4' or '5').ToList();
            Assert.Contains(errors, r => r.Key == "default");
            Assert.All(errors, r => Assert.Equal(
                "#/components/schemas/ProblemDetails",
                r.Value!["content"]?[ProblemResponses.MediaType]?["schema"]?["$ref"]?.GetValue<string>()));
        });
    }

    [Fact]
    public async Task ProblemDetailsAndTelemetryBatch_AreTheSpecsOwnSchemas()
    {
        var document = await DocumentAsync();
        var components = document["components"]!["schemas"]!;

        Assert.Equal("#/components/schemas/TelemetryBatch",
            document["paths"]!["/v1/telemetry"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        foreach (var (name, expected) in SpecSchemaComponents.Components(Spec))
        {
            Assert.True(JsonNode.DeepEquals(Canonical(expected), Canonical(components[name])), $"component {name} differs from the spec schema it comes from");
        }
        Assert.Contains(SpecSchemaComponents.Components(Spec).Keys, k => k == "TelemetryMessage.observation");
    }

    [Fact]
    public async Task Webhooks_DescribeEveryEventTypeInBinaryModeWithSignatures()
    {
        var document = await DocumentAsync();
        var webhooks = document["webhooks"]!.AsObject();

        var described = webhooks.SelectMany(w => w.Value!["post"]!["parameters"]!.AsArray()
            .Single(p => (string?)p!["name"] == "ce-type")!["schema"]!["enum"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(Spec.Events.Types.Select(t => t.Type).Order(), described.Order());
        Assert.Equal(["alert", "observation", "warning"], webhooks.Select(w => w.Key).Order());
        Assert.All(webhooks, w =>
        {
            var headers = w.Value!["post"]!["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ToList();
            Assert.Subset(headers.ToHashSet(), new HashSet<string> { "ce-id", "ce-source", "ce-specversion", "ce-type", "webhook-id", "webhook-timestamp", "webhook-signature" });
            Assert.StartsWith("#/components/schemas/", w.Value!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task RequestBodiesAndWebhooks_OfferTheSpecsValidExamples_NotMadeUpValues()
    {
        var document = await DocumentAsync();
        var components = document["components"]!["examples"]!.AsObject();
        var bodies = new[] { document["paths"]!["/v1/telemetry"]!["post"]! }
            .Concat(document["webhooks"]!.AsObject().Select(w => w.Value!["post"]!))
            .Select(o => o["requestBody"]!["content"]!["application/json"]!)
            .ToList();

        var telemetry = bodies[0]["examples"]!.AsObject();
        Assert.Equal("#/components/examples/TelemetryBatch.two-messages", telemetry["two-messages"]!["$ref"]!.GetValue<string>());
        Assert.All(bodies, body => Assert.NotEmpty(body["examples"]!.AsObject()));
        foreach (var (name, example) in components)
        {
            // Each is a file of specs/examples/{schema}/valid/, unchanged, and valid against its schema.
            var path = example!["summary"]!.GetValue<string>()["specs/".Length..];
            var file = Spec.FindFile(path)!;
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(file.Content), example["value"]), name);
            var schema = path.Split('/')[1];
            using var instance = System.Text.Json.JsonDocument.Parse(file.Content);
            Assert.Empty(IntegrationHub.Conformance.Validation.SchemaFindings.Evaluate(Spec.Schema(schema), instance.RootElement));
        }
    }

    // Object members in name order and arrays in a stable order: OpenAPI writers reorder both without changing meaning.
    private static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Canonical(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Canonical).OrderBy(n => n?.ToJsonString(), StringComparer.Ordinal)]),
        _ => node?.DeepClone(),
    };
}
