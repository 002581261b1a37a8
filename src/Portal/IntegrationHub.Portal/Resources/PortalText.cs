namespace IntegrationHub.Portal.Resources;

/// <summary>
/// The portal's page text: <c>IStringLocalizer&lt;PortalText&gt;</c> reads PortalText.resx (English) and
/// PortalText.zh-CN.resx. Keys are the English text, so a string without a translation reads in English; the signed-in
/// pages' scripts read theirs by stable keys with the prefixes below.
/// </summary>
public sealed class PortalText
{
    /// <summary>The keys a signed-in page's scripts read from its text block: what the page shows, in the request's language.</summary>
    public static readonly string[] ScriptPrefixes = ["Level.", "State.", "Common.", "Console.", "Dev.", "Admin.", "Account.", "Domain.", "Unit.", "Api.", "Loop."];
}
