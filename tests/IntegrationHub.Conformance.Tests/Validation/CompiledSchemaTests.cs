using System.Text.Json;
using IntegrationHub.Conformance.Validation;
using Json.Schema;

namespace IntegrationHub.Conformance.Tests.Validation;

/// <summary>
/// The compiler on small schemas: what it vouches for, the engine finds valid; what it cannot judge exactly (a keyword
/// outside its subset), it leaves to the engine. The telemetry schema itself is held to the engine by
/// <see cref="MessageShapeDifferentialTests"/>.
/// </summary>
public sealed class CompiledSchemaTests
{
    private static (bool Certain, bool EngineValid) Judge(string schemaJson, string instanceJson)
    {
        using var schema = JsonDocument.Parse(schemaJson);
        using var instance = JsonDocument.Parse(instanceJson);
        var compiled = CompiledSchema.Compile(schema.RootElement)!;
        var engine = JsonSchema.Build(schema.RootElement, SchemaEngine.CreateBuildOptions(), new Uri("https://example.test/s.json"));
        return (compiled.IsCertainlyValid(instance.RootElement), engine.Evaluate(instance.RootElement).IsValid);
    }

    [Theory]
    // Bounds compared exactly, however the numbers are written; a double would round 0.1000…01 down to 0.1.
    [InlineData("""{"maximum": 0.1}""", "0.1", true, true)]
    [InlineData("""{"maximum": 0.1}""", "1e-1", true, true)]
    [InlineData("""{"maximum": 0.1}""", "0.10000000000000000001", false, false)]
    [InlineData("""{"minimum": -90, "maximum": 90}""", "-90.0", true, true)]
    [InlineData("""{"minimum": -90, "maximum": 90}""", "-9E1", true, true)]
    [InlineData("""{"minimum": -90, "maximum": 90}""", "-90.0000000000000000001", false, false)]
    [InlineData("""{"minimum": 0}""", "-0", true, true)]
    // Exponents of any length, compared exactly: 1e-4294967206 is tiny, 1e4294967296 huge.
    [InlineData("""{"maximum": 90}""", "1e-4294967206", true, true)]
    [InlineData("""{"maximum": 90}""", "1e-1000000", true, true)]
    [InlineData("""{"maximum": 90}""", "1e4294967296", false, false)]
    [InlineData("""{"minimum": -90}""", "-1e2147483648", false, false)]
    [InlineData("""{"maximum": 90}""", "0.9e00000000000000000000000000002", true, true)]
    // Lengths in code points: 33 emoji are 66 chars but 33 code points; e and its accent are one grapheme cluster but two code points.
    [InlineData("""{"maxLength": 33}""", "\"😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀\"", true, true)]
    [InlineData("""{"maxLength": 32}""", "\"😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀\"", false, false)]
    [InlineData("""{"minLength": 2}""", "\"e\\u0301\"", true, true)]
    [InlineData("""{"maxLength": 1}""", "\"e\\u0301\"", false, false)]
    [InlineData("""{"maxLength": 1}""", "\"🇨🇳\"", false, false)]
    // $ matches only at the end, as in ECMA-262: not before a final newline, as .NET's does.
    [InlineData("""{"pattern": "^[a-z]+$"}""", "\"abc\\n\"", false, false)]
    [InlineData("""{"pattern": "^[a-z]+$"}""", "\"abc\"", true, true)]
    [InlineData("""{"enum": ["WGS84"]}""", "\"WGS\\u00384\"", true, true)]
    [InlineData("""{"type": "integer"}""", "1.0", true, true)]
    [InlineData("""{"type": "integer"}""", "1.5", false, false)]
    [InlineData("""{"uniqueItems": true}""", """["a", "\u0061"]""", false, false)]
    [InlineData("""{"uniqueItems": true}""", """["a", "b"]""", true, true)]
    // A keyword outside the subset makes its own node never certain, and only it.
    [InlineData("""{"properties": {"a": {"multipleOf": 2}}}""", """{"a": 4}""", false, true)]
    [InlineData("""{"properties": {"a": {"multipleOf": 2}}}""", """{"b": 4}""", true, true)]
    [InlineData("""{"properties": {"a": {"x-vendor": 2}}}""", """{"a": 4}""", false, true)]
    [InlineData("""{"required": ["a"], "additionalProperties": false}""", """{"a": 1}""", false, false)]
    [InlineData("""{"required": ["a"], "properties": {"a": true}, "additionalProperties": false}""", """{"\u0061": 1}""", true, true)]
    [InlineData("""{"$defs": {"n": {"type": "array", "items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"}""", "[[[]], []]", true, true)]
    [InlineData("""{"$defs": {"n": {"type": "array", "items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"}""", "[[1]]", false, false)]
    public void IsCertainlyValid_OnlyWhereTheEngineAgrees(string schema, string instance, bool certain, bool engineValid)
    {
        var judged = Judge(schema, instance);

        Assert.Equal((certain, engineValid), judged);
    }

    [Fact]
    public void Compile_AnotherDialect_IsNeverCertain()
    {
        using var schema = JsonDocument.Parse("""{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}""");

        Assert.Null(CompiledSchema.Compile(schema.RootElement));
    }
}
