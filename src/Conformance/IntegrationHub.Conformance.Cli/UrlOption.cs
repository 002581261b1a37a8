using System.CommandLine;

namespace IntegrationHub.Conformance.Cli;

internal static class UrlOption
{
    /// <summary>An option taking an absolute http(s) URL; anything else is a usage error.</summary>
    public static Option<Uri?> Create(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            if (Uri.TryCreate(result.Tokens[0].Value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            {
                return uri;
            }
            result.AddError($"{name} takes an absolute http or https URL, e.g. http://localhost:5080.");
            return null;
        },
    };
}
