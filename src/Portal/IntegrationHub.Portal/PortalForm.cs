namespace IntegrationHub.Portal;

/// <summary>The anti-forgery field a page's form must post back: its name and the token for this request.</summary>
public sealed record PortalForm(string FieldName, string Token);
