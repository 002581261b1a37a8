using System.Text.Json;
using IntegrationHub.Conformance.Spec;
using Json.Schema;

namespace IntegrationHub.Conformance.Validation;

/// <summary>
/// Runs a spec schema and turns its failures into findings with stable codes and pointers.
/// Valid input costs one fast pass; only invalid input pays for the detailed output.
/// </summary>
public static class SchemaFindings
{
    // The spec's schemas only annotate with format; one whose metaschema asks for format assertion gets RFC 3339 date-times.
    private static readonly EvaluationOptions FlagOptions = new() { OutputFormat = OutputFormat.Flag, FormatRegistry = SchemaEngine.Formats };
    private static readonly EvaluationOptions DetailOptions = new() { OutputFormat = OutputFormat.Hierarchical, FormatRegistry = SchemaEngine.Formats };

    public static bool IsValid(SpecSchema schema, JsonElement instance) => schema.Schema.Evaluate(instance, FlagOptions).IsValid;

    public static IReadOnlyList<Finding> Evaluate(SpecSchema schema, JsonElement instance)
    {
        if (IsValid(schema, instance))
        {
            return [];
        }
        var findings = new List<Finding>();
        Collect(schema.Schema.Evaluate(instance, DetailOptions), findings);
        if (findings.Count == 0)
        {
            findings.Add(new Finding(ErrorCodes.InvalidValue, "", "The value does not match the schema."));
        }
        return findings;
    }

    // Only failures whose every ancestor failed explain the verdict; a failed `if` never does.
    private static void Collect(EvaluationResults node, List<Finding> findings)
    {
        var pointer = node.InstanceLocation.ToString();
        if (node.Errors is not null)
        {
            var path = node.EvaluationPath.ToString();
            foreach (var (keyword, message) in node.Errors)
            {
                switch (keyword)
                {
                    case "required":
                        foreach (var missing in MissingProperties(message))
                        {
                            var target = missing.Length == 0 ? pointer : pointer + "/" + JsonPointers.Escape(missing);
                            Add(findings, new Finding(ErrorCodes.MissingField, target, missing.Length == 0 ? message : $"'{missing}' is required."));
                        }
                        break;
                    case "type":
                        Add(findings, new Finding(ErrorCodes.WrongType, pointer, message));
                        break;
                    case "" when path.EndsWith("/additionalProperties", StringComparison.Ordinal) || path.EndsWith("/unevaluatedProperties", StringComparison.Ordinal):
                        Add(findings, new Finding(ErrorCodes.UnknownField, pointer, "The schema does not define this field."));
                        break;
                    default:
                        Add(findings, new Finding(ErrorCodes.InvalidValue, pointer, message));
                        break;
                }
            }
        }
        if (node.Details is null)
        {
            return;
        }
        foreach (var child in node.Details)
        {
            if (!child.IsValid && !child.EvaluationPath.ToString().EndsWith("/if", StringComparison.Ordinal))
            {
                Collect(child, findings);
            }
        }
    }

    private static void Add(List<Finding> findings, Finding finding)
    {
        foreach (var existing in findings)
        {
            if (existing.Code == finding.Code && existing.Pointer == finding.Pointer)
            {
                return;
            }
        }
        findings.Add(finding);
    }

    // The message lists the missing names as a JSON array: Required properties ["a","b"] are not present.
    private static string[] MissingProperties(string message)
    {
        var start = message.IndexOf('[', StringComparison.Ordinal);
        var end = message.LastIndexOf(']');
        if (start >= 0 && end > start)
        {
            try
            {
                return JsonSerializer.Deserialize(message.AsSpan(start, end - start + 1), SpecJsonContext.Default.StringArray) ?? [];
            }
            catch (JsonException)
            {
            }
        }
        return [""];
    }
}
