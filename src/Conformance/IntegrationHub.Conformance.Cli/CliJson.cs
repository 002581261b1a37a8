using System.Text.Json.Serialization;
using IntegrationHub.Conformance.Cli.Validate;

namespace IntegrationHub.Conformance.Cli;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(ValidationReport))]
internal sealed partial class CliJson : JsonSerializerContext;
