using System.Text.Json.Serialization;
using IntegrationHub.Conformance.Validation;

namespace IntegrationHub.Conformance.Spec;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(ErrorCatalogDocument))]
[JsonSerializable(typeof(RequirementsDocument))]
[JsonSerializable(typeof(EventsDocument))]
[JsonSerializable(typeof(AreasDocument))]
[JsonSerializable(typeof(CheckCatalogDocument))]
[JsonSerializable(typeof(WarningTypesDocument))]
[JsonSerializable(typeof(Finding))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(IReadOnlyList<Finding>))]
internal sealed partial class SpecJsonContext : JsonSerializerContext;
