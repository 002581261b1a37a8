using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using IntegrationHub.Adapters.Codecs;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using IntegrationHub.Gateway.OpenApi;
using IntegrationHub.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Gateway.Tests.OpenApi;

/// <summary>What the OpenAPI document the hub serves says about errors, request bodies and webhooks.</summary>
public sealed partial class OpenApiTests(HubFixture fixture) : IClassFixture<HubFixture>
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

    /// <summary>
    /// The telemetry body declares every media type the hub reads, each with the spec's examples; the test plays a
    /// validating proxy with each example (find the declared media type its Content-Type names, check the body against
    /// that media type's schema), then sends it on to the hub, which accepts every message.
    /// </summary>
    [Fact]
    public async Task TelemetryBody_DeclaresEveryFormatTheHubReads_AndAValidatingProxyPassesItsExamples()
    {
        var document = await DocumentAsync();
        var content = document["paths"]!["/v1/telemetry"]!["post"]!["requestBody"]!["content"]!.AsObject();
        Assert.Equal(fixture.Hub.Services.GetRequiredService<CodecRegistry>().MediaTypes.Order(StringComparer.Ordinal), content.Select(c => c.Key).Order(StringComparer.Ordinal));
        using var adapter = await fixture.Hub.TenantAsync(HubFixture.Unique("openapi-formats"), "ch4-shinan-0001");

        var sent = 0;
        foreach (var (mediaType, declared) in content.Where(c => c.Key != "application/json"))
        {
            var examples = declared!["examples"]!.AsObject();
            Assert.NotEmpty(examples);
            foreach (var (name, example) in examples)
            {
                var file = example!["summary"]!.GetValue<string>();
                var value = example["value"]!;
                var body = value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
                Assert.True(JsonNode.DeepEquals(value, value.GetValueKind() == JsonValueKind.String ? JsonValue.Create(SpecText(file)) : JsonNode.Parse(SpecText(file))), $"example {name} is not {file}");
                var contentType = SentWith().Match(example["description"]!.GetValue<string>()).Groups["type"].Value;

                var matched = content.Single(c => c.Key.Equals(MediaTypeHeaderValue.Parse(contentType).MediaType, StringComparison.OrdinalIgnoreCase));
                Assert.Equal(mediaType, matched.Key);
                Assert.Empty(Violations(document, matched.Value!["schema"]!, body));

                using var response = await adapter.PostTelemetryAsync(body, contentType);
                var results = (await response.ShouldBeAsync(HttpStatusCode.OK))["results"]!.AsArray();
                Assert.NotEmpty(results);
                Assert.All(results, r => Assert.Equal("accepted", r!["status"]!.GetValue<string>()));
                sent++;
            }
        }
        Assert.True(sent >= 2, "a SenML and a CSV example");
    }

    /// <summary>What a validating proxy finds wrong with a body: a spec schema's findings, or a text format that is not text.</summary>
    private static IReadOnlyList<Finding> Violations(JsonNode document, JsonNode schema, string body)
    {
        if (schema["$ref"]?.GetValue<string>() is { } reference)
        {
            // The component is the spec's schema (ProblemDetailsAndTelemetryBatch_AreTheSpecsOwnSchemas), so the spec's engine judges.
            var component = reference["#/components/schemas/".Length..];
            Assert.NotNull(document["components"]!["schemas"]![component]);
            var name = Spec.Schemas.Keys.Single(s => SpecSchemaComponents.ComponentName(s) == component);
            using var parsed = JsonDocument.Parse(body);
            return SchemaFindings.Evaluate(Spec.Schema(name), parsed.RootElement);
        }
        Assert.Equal("string", schema["type"]!.GetValue<string>());
        return [];
    }

    private static string SpecText(string path) => File.ReadAllText(Path.Combine(Repository.Root, path));

    [GeneratedRegex("`Content-Type: (?<type>[^`]+)`")]
    private static partial Regex SentWith();

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
