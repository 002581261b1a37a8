using System.Text.Json;
using IntegrationHub.Conformance.Validation;
using Json.Schema;

namespace IntegrationHub.Conformance.Tests.Validation;

public sealed class SchemaEngineTests
{
    private static bool IsValid(string schemaJson, string instanceJson, bool requireFormat = false)
    {
        using var schema = JsonDocument.Parse(schemaJson);
        using var instance = JsonDocument.Parse(instanceJson);
        var options = new EvaluationOptions { RequireFormatValidation = requireFormat, FormatRegistry = SchemaEngine.Formats };
        return JsonSchema.Build(schema.RootElement, SchemaEngine.CreateBuildOptions()).Evaluate(instance.RootElement, options).IsValid;
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

    // ECMA-262 $ without the m flag matches only at the end of the input; .NET's $ also matches before a final \n.
    [Theory]
    [InlineData("""{"pattern": "^[a-z]+$"}""", "\"abc\"", true)]
    [InlineData("""{"pattern": "^[a-z]+$"}""", "\"abc\\n\"", false)]
    [InlineData("""{"pattern": "^[a-z]+$"}""", "\"abc\\n\\n\"", false)]
    [InlineData("""{"pattern": "c$"}""", "\"abc\\n\"", false)]
    [InlineData("""{"pattern": "^P(?!$)[0-9]*$"}""", "\"P1\\n\"", false)]
    // A $ escaped or inside a class is a dollar sign.
    [InlineData("""{"pattern": "^a\\$$"}""", "\"a$\"", true)]
    [InlineData("""{"pattern": "^a[$]$"}""", "\"a$\"", true)]
    [InlineData("""{"pattern": "^a[\\]$]$"}""", "\"a$\"", true)]
    [InlineData("""{"pattern": "^a\\\\$"}""", "\"a\\\\\\n\"", false)]
    [InlineData("""{"patternProperties": {"^a$": false}}""", """{"a": 1}""", false)]
    [InlineData("""{"patternProperties": {"^a$": false}}""", """{"a\n": 1}""", true)]
    [InlineData("""{"patternProperties": {"^a$": true}, "additionalProperties": false}""", """{"a\n": 1}""", false)]
    public void Pattern_DollarMatchesOnlyAtTheEnd(string schema, string instance, bool valid) => Assert.Equal(valid, IsValid(schema, instance));

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

    // The date-time format of RFC 3339 §5.6, asserted where format is asserted: a trailing newline is not part of it.
    [Theory]
    [InlineData("\"2026-11-28T10:00:00Z\"", true)]
    [InlineData("\"2026-11-28t10:00:00.5z\"", true)]
    [InlineData("\"2026-11-28T10:00:00+08:00\"", true)]
    [InlineData("\"1998-12-31T23:59:60Z\"", true)]
    [InlineData("\"1998-12-31T15:59:60-08:00\"", true)]
    [InlineData("\"2026-11-28T10:00:00Z\\n\"", false)]
    [InlineData("\"2026-11-28T10:00:00+08:00\\n\"", false)]
    [InlineData("\" 2026-11-28T10:00:00Z\"", false)]
    [InlineData("\"2026-02-29T10:00:00Z\"", false)]
    [InlineData("\"2026-11-28T23:58:60Z\"", false)]
    [InlineData("\"2026-11-28T10:00:00+24:00\"", false)]
    [InlineData("42", true)]
    public void DateTimeFormat_IsRfc3339(string instance, bool valid) => Assert.Equal(valid, IsValid("""{"format": "date-time"}""", instance, requireFormat: true));
}
