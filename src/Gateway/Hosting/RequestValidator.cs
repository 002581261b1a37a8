using System.Text.RegularExpressions;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Conformance.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace IntegrationHub.Gateway.Hosting;

/// <summary>Collects every problem in a request body before answering, each with a pointer to its field.</summary>
internal sealed class RequestValidator
{
    private readonly List<Finding> _findings = [];

    public bool Failed => _findings.Count > 0;

    public IReadOnlyList<Finding> Findings => _findings;

    public RequestValidator Add(string code, string pointer, string detail)
    {
        _findings.Add(new Finding(code, pointer, detail));
        return this;
    }

    public RequestValidator AddRange(IEnumerable<Finding> findings)
    {
        _findings.AddRange(findings);
        return this;
    }

    /// <summary>Checks a required string against a pattern; returns whether it passed.</summary>
    public bool Text(string? value, string pointer, Regex pattern, string describe, bool required = true)
    {
        if (value is null)
        {
            if (required)
            {
                Add(ErrorCodes.MissingField, pointer, $"'{pointer.TrimStart('/')}' is required.");
            }
            return !required;
        }
        if (!pattern.IsMatch(value))
        {
            Add(ErrorCodes.InvalidValue, pointer, describe);
            return false;
        }
        return true;
    }

    /// <summary>
    /// Checks a GB/T 2260 area code against the spec's table (ADM-009), telling a malformed code from a well-formed one
    /// that names no area; returns whether it passed.
    /// </summary>
    public bool Area(string? value, string pointer, AreaCatalog areas, bool required = true)
    {
        if (value is null)
        {
            if (required)
            {
                Add(ErrorCodes.MissingField, pointer, $"'{pointer.TrimStart('/')}' is required: a GB/T 2260 area code such as 370202.");
            }
            return !required;
        }
        if (!AreaCatalog.IsWellFormed(value))
        {
            Add(ErrorCodes.InvalidValue, pointer, $"'{value}' is not a GB/T 2260 area code: a code is six digits, e.g. 370202.");
            return false;
        }
        if (!areas.TryGet(value, out _))
        {
            Add(ErrorCodes.AreaUnknown, pointer,
                $"'{value}' has the form of a GB/T 2260 code, but no area has it in the hub's table (/specs/v1/{AreaCatalog.Path}, edition {areas.Edition}); a city or province is its district's first four or two digits followed by zeros, e.g. 370200.");
            return false;
        }
        return true;
    }

    public void Range(double? value, string pointer, double min, double max, bool required = true)
    {
        if (value is null)
        {
            if (required)
            {
                Add(ErrorCodes.MissingField, pointer, $"'{pointer.TrimStart('/')}' is required.");
            }
        }
        else if (!double.IsFinite(value.Value) || value < min || value > max)
        {
            Add(ErrorCodes.InvalidValue, pointer, $"Must be between {min} and {max}.");
        }
    }

    /// <summary>Checks an optional query parameter naming a value of <typeparamref name="T"/> (its wire name).</summary>
    public T? Parameter<T>(string? value, string name, string describe)
        where T : struct, Enum
    {
        if (value is null)
        {
            return null;
        }
        if (Organizations.WireNames.TryParse<T>(value, out var parsed))
        {
            return parsed;
        }
        Add(ErrorCodes.InvalidParameter, "/" + name, describe);
        return null;
    }

    /// <summary>Checks an optional <c>district</c> query parameter: a GB/T 2260 area code (a filter matches nothing for a code no area has).</summary>
    public void DistrictParameter(string? district)
    {
        if (district is not null && !AreaCatalog.IsWellFormed(district))
        {
            Add(ErrorCodes.InvalidParameter, "/district", $"'{district}' is not a GB/T 2260 area code: a code is six digits, e.g. 370202.");
        }
    }

    /// <summary>The answer to invalid query parameters: the first one's detail, every one listed.</summary>
    public ProblemHttpResult ParameterProblem(HttpContext context) =>
        ProblemResults.Problem(context, ErrorCodes.InvalidParameter, _findings[0].Detail, _findings);

    public ProblemHttpResult Problem(HttpContext context) =>
        ProblemResults.Problem(context, ErrorCodes.ValidationFailed, $"{_findings.Count} problem(s) in the request body.", _findings);
}

internal static partial class Patterns
{
    /// <summary>Ids of organizations: lower-case letters, digits and hyphens.</summary>
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,63}$")]
    public static partial Regex OrganizationId();

    [GeneratedRegex(Auth.AdapterIds.Pattern)]
    public static partial Regex AdapterId();

    /// <summary>The telemetry schema's identifier rule, for device ids.</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
    public static partial Regex DeviceId();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    public static partial Regex GroupName();

    [GeneratedRegex(@"^\S(.{0,198}\S)?$")]
    public static partial Regex Name();
}

/// <summary>GB/T 2260 codes nest: 370000 (province) ⊃ 370200 (city) ⊃ 370202 (district).</summary>
internal static class AreaCodes
{
    /// <summary>The prefix every code inside the area shares: trailing "00" pairs dropped.</summary>
    public static string Prefix(string code) =>
        code.EndsWith("0000", StringComparison.Ordinal) ? code[..2]
        : code.EndsWith("00", StringComparison.Ordinal) ? code[..4]
        : code;
}
