using System.Reflection;
using Refit;

namespace IntegrationHub.Client;

/// <summary>
/// Query and path values as the hub reads them: Refit's defaults, except that booleans are written <c>true</c> and
/// <c>false</c>, the JSON spelling, rather than .NET's <c>True</c> and <c>False</c>.
/// </summary>
internal sealed class HubUrlParameterFormatter : DefaultUrlParameterFormatter
{
    public override string? Format(object? value, ICustomAttributeProvider attributeProvider, Type type) =>
        value is bool flag ? (flag ? "true" : "false") : base.Format(value, attributeProvider, type);
}
