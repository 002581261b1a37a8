namespace IntegrationHub.Portal.Resources;

/// <summary>
/// The portal's page text: <c>IStringLocalizer&lt;PortalText&gt;</c> reads PortalText.resx (English) and
/// PortalText.zh-CN.resx. Keys are the English text, so a string without a translation reads in English.
/// </summary>
public sealed class PortalText;
