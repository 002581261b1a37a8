using System.Text.Json;
using IntegrationHub.Conformance.Validation;
using Json.Schema;

namespace IntegrationHub.Conformance.Tests.JsonSchemaSuite;

/// <summary>
/// The official JSON Schema Test Suite (draft 2020-12), run through the engine the validator uses (<see cref="SchemaEngine"/>).
/// Every required case must pass. Optional cases that fail must be listed, with a reason, in optional-failures.json;
/// the test fails on an unlisted failure and on a listed case that has started to pass, so the list stays true.
/// </summary>
public sealed class JsonSchemaTestSuiteTests(ITestOutputHelper output)
{
    private static readonly Uri RemotesBase = new("http://localhost:1234/");

    private static readonly string[] RequiredFileNames =
        [
            "additionalProperties", "allOf", "anchor", "anyOf", "boolean_schema", "const", "contains", "content", "default", "defs",
            "dependentRequired", "dependentSchemas", "dynamicRef", "enum", "exclusiveMaximum", "exclusiveMinimum", "format", "if-then-else",
            "infinite-loop-detection", "items", "maxContains", "maxItems", "maxLength", "maxProperties", "maximum", "minContains", "minItems",
            "minLength", "minProperties", "minimum", "multipleOf", "not", "oneOf", "pattern", "patternProperties", "prefixItems", "properties",
            "propertyNames", "ref", "refRemote", "required", "type", "unevaluatedItems", "unevaluatedProperties", "uniqueItems", "vocabulary",
        ];

    public static TheoryData<string> RequiredFiles() => new(RequiredFileNames);

    [Theory]
    [MemberData(nameof(RequiredFiles))]
    public void RequiredCases_AllPass(string name)
    {
        var suite = Paths.Oracle("json-schema-test-suite");
        var file = Path.Combine(suite, "tests", "draft2020-12", name + ".json");
        Assert.True(File.Exists(file), $"{file} is missing from the suite");

        var failures = Run(suite, file, requireFormat: false).Where(c => !c.Passed).ToList();

        foreach (var failure in failures)
        {
            output.WriteLine($"FAIL {failure.Id}: {failure.Reason}");
        }
        Assert.Empty(failures.Select(f => f.Id));
    }

    [Fact]
    public void RequiredFileList_CoversTheSuite()
    {
        var suite = Paths.Oracle("json-schema-test-suite");
        var onDisk = Directory.GetFiles(Path.Combine(suite, "tests", "draft2020-12"), "*.json").Select(Path.GetFileNameWithoutExtension).Order();

        Assert.Equal(onDisk, RequiredFileNames.Order());
    }

    [Fact]
    public void OptionalCases_FailOnlyWhereListedWithReason()
    {
        var suite = Paths.Oracle("json-schema-test-suite");
        var optional = Path.Combine(suite, "tests", "draft2020-12", "optional");
        var known = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "JsonSchemaSuite", "optional-failures.json")))!;

        var cases = Directory.GetFiles(optional, "*.json", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .SelectMany(file => Run(suite, file, requireFormat: Path.GetFileName(Path.GetDirectoryName(file)) == "format"))
            .ToList();
        var failed = cases.Where(c => !c.Passed).ToList();

        output.WriteLine($"optional: {cases.Count - failed.Count} of {cases.Count} pass; {failed.Count} fail:");
        foreach (var failure in failed)
        {
            output.WriteLine($"  {failure.Id}: {known.GetValueOrDefault(failure.Id, "UNLISTED")} ({failure.Reason})");
        }
        Assert.Empty(failed.Where(f => !known.ContainsKey(f.Id)).Select(f => f.Id));
        Assert.Empty(known.Keys.Except(failed.Select(f => f.Id)));
        Assert.All(known.Values, reason => Assert.False(string.IsNullOrWhiteSpace(reason)));
    }

    private sealed record CaseResult(string Id, bool Passed, string Reason);

    private static IEnumerable<CaseResult> Run(string suite, string file, bool requireFormat)
    {
        var relative = Path.GetRelativePath(Path.Combine(suite, "tests", "draft2020-12"), file).Replace('\\', '/');
        using var document = JsonDocument.Parse(File.ReadAllText(file));
        var evaluation = new EvaluationOptions { OutputFormat = OutputFormat.Flag, RequireFormatValidation = requireFormat, FormatRegistry = SchemaEngine.Formats };
        foreach (var group in document.RootElement.EnumerateArray())
        {
            var groupName = group.GetProperty("description").GetString();
            // Every group gets its own registry: groups reuse $id values, and the global registry would collide on them.
            var build = SchemaEngine.CreateBuildOptions(RemoteRegistry(suite));
            JsonSchema? schema = null;
            string? buildError = null;
            try
            {
                schema = JsonSchema.Build(group.GetProperty("schema"), build);
            }
            catch (Exception e) when (e is JsonSchemaException or ArgumentException or InvalidOperationException or RefResolutionException)
            {
                buildError = e.GetType().Name + ": " + e.Message;
            }
            foreach (var test in group.GetProperty("tests").EnumerateArray())
            {
                var id = $"{relative}: {groupName} / {test.GetProperty("description").GetString()}";
                var expected = test.GetProperty("valid").GetBoolean();
                if (schema is null)
                {
                    yield return new CaseResult(id, false, "schema did not build: " + buildError);
                    continue;
                }
                bool actual;
                string reason;
                try
                {
                    actual = schema.Evaluate(test.GetProperty("data"), evaluation).IsValid;
                    reason = $"expected {(expected ? "valid" : "invalid")}, got {(actual ? "valid" : "invalid")}";
                }
                catch (Exception e)
                {
                    // An exception is a wrong answer too; it is recorded as the failure's reason.
                    actual = !expected;
                    reason = e.GetType().Name + ": " + e.Message;
                }
                yield return new CaseResult(id, actual == expected, reason);
            }
        }
    }

    // The suite's remotes are served at http://localhost:1234/; here they are read from disk on demand instead.
    private static SchemaRegistry RemoteRegistry(string suite)
    {
        var registry = new SchemaRegistry();
        registry.Fetch = (uri, owner) =>
        {
            if (!RemotesBase.IsBaseOf(uri))
            {
                return null!;
            }
            var path = Path.Combine(suite, "remotes", RemotesBase.MakeRelativeUri(new Uri(uri.GetLeftPart(UriPartial.Path))).ToString());
            if (!File.Exists(path))
            {
                return null!;
            }
            var element = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
            return JsonSchema.Build(element, SchemaEngine.CreateBuildOptions(owner), new Uri(uri.GetLeftPart(UriPartial.Path)));
        };
        return registry;
    }
}
