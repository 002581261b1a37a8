using System.Text.Json;
using IntegrationHub.Conformance.Validation;
using Json.Schema;

namespace IntegrationHub.Conformance.Tests.Validation;

public sealed class SchemaEngineTests
{
    private static bool IsValid(string schemaJson, string instanceJson)
    {
        using var schema = JsonDocument.Parse(schemaJson);
        using var instance = JsonDocument.Parse(instanceJson);
        return JsonSchema.Build(schema.RootElement, SchemaEngine.CreateBuildOptions()).Evaluate(instance.RootElement).IsValid;
    }

    private static bool Unique(string items) => IsValid("""{"$schema": "https://json-schema.org/draft/2020-12/schema", "uniqueItems": true}""", items);

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
    // Exponents no long holds, compared exactly: 10e99…98 is 1e99…99.
    [InlineData("[1e99999999999999999999, 10e99999999999999999998]", false)]
    [InlineData("[1e99999999999999999999, 1e99999999999999999998]", true)]
    [InlineData("[1e-99999999999999999999, 0.1e-99999999999999999998]", false)]
    [InlineData("[1e0000000000000000000000000002, 100]", false)]
    public void UniqueItems_ComparesByJsonEquality_AndNeverThrows(string items, bool unique) => Assert.Equal(unique, Unique(items));

    // Bounds compared exactly, whatever the exponent: the engine read exponents into an int that wrapped, so that
    // 1e2147483648 and 1e4294967296 passed maximum 90 and 1e-4294967206 failed it.
    [Theory]
    [InlineData("""{"maximum": 90}""", "1e2147483648", false)]
    [InlineData("""{"maximum": 90}""", "1e4294967296", false)]
    [InlineData("""{"maximum": 90}""", "1e99999999999999999999", false)]
    [InlineData("""{"maximum": 90}""", "1e-4294967206", true)]
    [InlineData("""{"maximum": 90}""", "1e-99999999999999999999", true)]
    [InlineData("""{"minimum": -90}""", "-1e-4294967206", true)]
    [InlineData("""{"minimum": -90}""", "-1e2147483648", false)]
    [InlineData("""{"minimum": 0}""", "1e-4294967296", true)]
    [InlineData("""{"minimum": 0}""", "-1e-4294967296", false)]
    [InlineData("""{"minimum": 0}""", "-0e99999999999999999999", true)]
    [InlineData("""{"maximum": 90}""", "90.0000000000000000000000000001", false)]
    [InlineData("""{"maximum": 90}""", "0.9e0000000000000000000000000002", true)]
    [InlineData("""{"exclusiveMaximum": 90}""", "9e1", false)]
    [InlineData("""{"exclusiveMaximum": 90}""", "1e-4294967206", true)]
    [InlineData("""{"exclusiveMaximum": 90}""", "1e4294967296", false)]
    [InlineData("""{"exclusiveMinimum": 0}""", "1e-4294967206", true)]
    [InlineData("""{"exclusiveMinimum": 0}""", "-1e-4294967206", false)]
    [InlineData("""{"exclusiveMinimum": 0}""", "0e-4294967206", false)]
    // Bounds with exponents of their own, as long as the instances'.
    [InlineData("""{"maximum": 1e99999999999999999999}""", "10e99999999999999999998", true)]
    [InlineData("""{"maximum": 1e99999999999999999999}""", "1.0000000001e99999999999999999999", false)]
    [InlineData("""{"maximum": 1e99999999999999999999}""", "1e100000000000000000000", false)]
    [InlineData("""{"minimum": 1e-99999999999999999999}""", "0.1e-99999999999999999998", true)]
    [InlineData("""{"minimum": 1e-99999999999999999999}""", "0.99e-99999999999999999999", false)]
    public void Bounds_CompareNumbersExactly(string schema, string instance, bool valid) => Assert.Equal(valid, IsValid(schema, instance));

    // JSON Schema 2020-12 §6.3.1: a string's length is its number of Unicode code points, not of grapheme clusters or
    // UTF-16 code units.
    [Theory]
    [InlineData("""{"maxLength": 1}""", "\"e\\u0301\"", false)]
    [InlineData("""{"minLength": 2}""", "\"e\\u0301\"", true)]
    [InlineData("""{"maxLength": 2}""", "\"🇨🇳\"", true)]
    [InlineData("""{"maxLength": 1}""", "\"🇨🇳\"", false)]
    [InlineData("""{"maxLength": 1}""", "\"😀\"", true)]
    [InlineData("""{"minLength": 2}""", "\"😀\"", false)]
    [InlineData("""{"maxLength": 1}""", "\"\\ud83d\\ude00\"", true)]
    [InlineData("""{"maxLength": 4}""", "\"👨‍👩‍👧\"", false)]
    [InlineData("""{"maxLength": 5}""", "\"👨‍👩‍👧\"", true)]
    [InlineData("""{"maxLength": 2}""", "\"\\r\\n\"", true)]
    [InlineData("""{"maxLength": 1}""", "\"\\r\\n\"", false)]
    public void Length_CountsCodePoints(string schema, string instance, bool valid) => Assert.Equal(valid, IsValid(schema, instance));
}
