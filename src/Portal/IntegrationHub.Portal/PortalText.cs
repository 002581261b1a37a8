namespace IntegrationHub.Portal;

/// <summary>The portal's words, in Resources/PortalText.resx (English) and PortalText.zh-CN.resx (Chinese).</summary>
public sealed class PortalText
{
    /// <summary>The keys a page's scripts read from its text block, by prefix: what the page shows, in the request's language.</summary>
    public static readonly string[] ScriptPrefixes = ["Level.", "State.", "Common.", "Console.", "Dev.", "Admin."];
}
