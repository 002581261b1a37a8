using System.Text.Json;
using IntegrationHub.Conformance.Validation;
using Json.Schema;

namespace IntegrationHub.Conformance.Tests.Validation;

public sealed class SchemaEngineTests
{
    private static bool Unique(string items)
    {
        using var schema = JsonDocument.Parse("""{"$schema": "https://json-schema.org/draft/2020-12/schema", "uniqueItems": true}""");
        using var instance = JsonDocument.Parse(items);
        return JsonSchema.Build(schema.RootElement, SchemaEngine.CreateBuildOptions()).Evaluate(instance.RootElement).IsValid;
    }

    // JSON equality: numbers by value, however written, even beyond a decimal or a double; objects whatever their members' order.
    [Theory]
    [InlineData("[1e400, 10e399]", false)]
    [InlineData("[1e400, 1e401]", true)]
    [InlineData("[1e29, 100000000000000000000000000000]", false)]
    [InlineData("[1, 1.0, 2]", false)]
    [InlineData("[0, -0, 0e5]", false)]
    [InlineData("[0.12345678901234567890123456789012, 0.12345678901234567890123456789013]", true)]
    [InlineData("""[{"a": 1, "b": [2]}, {"b": [2.0], "a": 1}]""", false)]
    [InlineData("""[{"a": 1}, {"a": "1"}, ["a", 1], "a1", 1, true, null]""", true)]
    [InlineData("""["\ud800", "\ud800"]""", false)]
    public void UniqueItems_ComparesByJsonEquality_AndNeverThrows(string items, bool unique) => Assert.Equal(unique, Unique(items));
}
