using System.Text.Json.Nodes;
using IntegrationHub.Conformance.Spec;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace IntegrationHub.Gateway.OpenApi;

/// <summary>
/// The outgoing webhooks, in the document's top-level <c>webhooks</c> (EVT-003): one entry per event family of
/// events.json (observations, alerts, warnings), delivered as CloudEvents 1.0 in binary mode and signed with Standard
/// Webhooks headers. A subscriber builds its receiver from this.
/// </summary>
internal sealed class WebhookDescriptions(SpecCatalog spec) : IDocumentFilter
{
    private const string Prefix = "city.integrationhub.";

    public void Apply(OpenApiDocument swaggerDoc, DocumentFilterContext context)
    {
        swaggerDoc.Webhooks ??= new Dictionary<string, IOpenApiPathItem>();
        foreach (var family in spec.Events.Types.GroupBy(t => t.Type[Prefix.Length..].Split('.')[0], StringComparer.Ordinal))
        {
            var types = family.ToList();
            var schema = spec.Schemas.Values.Single(s => s.Id == types[0].DataSchema).Name;
            var item = new OpenApiPathItem();
            item.AddOperation(HttpMethod.Post, new OpenApiOperation
            {
                OperationId = $"Receive{SpecSchemaComponents.ComponentName(family.Key)}Event",
                Tags = new HashSet<OpenApiTagReference> { new("Webhooks", swaggerDoc) },
                Summary = $"The hub delivers {family.Key} events ({string.Join(", ", types.Select(t => t.Type))}) to a subscription's URL.",
                Description =
                    "CloudEvents 1.0 in HTTP binary mode: the body is the event's data, its attributes are `ce-` headers. A subscription may ask for " +
                    "structured mode (`application/cloudevents+json`) or batches (`application/cloudevents-batch+json`) instead. Every delivery is signed " +
                    "with Standard Webhooks: verify `webhook-signature` over `{webhook-id}.{webhook-timestamp}.{body}` with the subscription's secret (several " +
                    "signatures side by side while a secret rotates), and reject timestamps more than five minutes off. `webhook-id` equals `ce-id` and stays " +
                    "the same on every retry: de-duplicate by it. A device's events arrive in that device's order.",
                Parameters = [.. Headers(types, spec.Events)],
                RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, IOpenApiMediaType>
                    {
                        ["application/json"] = new OpenApiMediaType { Schema = SpecSchemaComponents.Reference(schema, swaggerDoc) },
                    },
                },
                Responses = new OpenApiResponses
                {
                    ["2XX"] = new OpenApiResponse { Description = "Received: any 2xx status acknowledges the delivery." },
                    ["default"] = new OpenApiResponse
                    {
                        Description = "Any other status, or no answer within the timeout, is a failed delivery: the hub retries with exponential backoff and jitter, " +
                            "honours `Retry-After`, and parks the event in the subscription's dead letters after the configured number of attempts.",
                    },
                },
            });
            swaggerDoc.Webhooks[family.Key] = item;
        }
        swaggerDoc.Tags ??= new HashSet<OpenApiTag>();
        swaggerDoc.Tags.Add(new OpenApiTag { Name = "Webhooks", Description = "What the hub sends to subscribers' URLs (events.json)." });
    }

    private static IEnumerable<IOpenApiParameter> Headers(List<EventType> types, EventCatalog events)
    {
        yield return Header("ce-specversion", "CloudEvents version.", new OpenApiSchema { Type = JsonSchemaType.String, Const = "1.0" });
        yield return Header("ce-id", "The event id, stable across retries and replays.", Text());
        yield return Header("ce-source", $"Where the event comes from: {string.Join(", ", types.Select(t => t.Source).Distinct(StringComparer.Ordinal))} (`{{hubId}}` is the hub's id).", Text());
        yield return Header("ce-type", "The event type (events.json).", new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. types.Select(t => (JsonNode)JsonValue.Create(t.Type))] });
        yield return Header("ce-time", "When the event happened (RFC 3339, UTC).", new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" });
        yield return Header("ce-subject", $"What the event is about: {string.Join(", ", types.Select(t => t.Subject).Distinct(StringComparer.Ordinal))}.", Text());
        yield return Header("ce-dataschema", "The data's JSON Schema.", new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri" });
        foreach (var name in types.SelectMany(t => t.Extensions).Distinct(StringComparer.Ordinal))
        {
            yield return Header("ce-" + name, events.Extensions[name].Description, Text(), required: false);
        }
        yield return Header("webhook-id", "Standard Webhooks message id; equals `ce-id`.", Text());
        yield return Header("webhook-timestamp", "Standard Webhooks timestamp, Unix seconds.", new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[0-9]+$" });
        yield return Header("webhook-signature", "Standard Webhooks signatures, space-separated: `v1,` + base64 HMAC-SHA256, or `v1a,` + base64 Ed25519.",
            new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^v1a?,[A-Za-z0-9+/=]+( v1a?,[A-Za-z0-9+/=]+)*$" });
    }

    private static OpenApiSchema Text() => new() { Type = JsonSchemaType.String };

    private static OpenApiParameter Header(string name, string description, OpenApiSchema schema, bool required = true) =>
        new() { Name = name, In = ParameterLocation.Header, Required = required, Description = description, Schema = schema };
}
