using IntegrationHub.Conformance.Profiles;

namespace IntegrationHub.Portal.Docs;

/// <summary>The profile's own words in the reader's language, where the spec has them in both.</summary>
internal static class ProfileText
{
    public static string Title(DeviceProfile profile) =>
        PortalCultures.IsChinese && profile.TitleZh is { } zh ? zh : profile.Title;

    /// <summary>The other language's title, shown beside the first.</summary>
    public static string? OtherTitle(DeviceProfile profile) =>
        profile.TitleZh is null ? null : PortalCultures.IsChinese ? profile.Title : profile.TitleZh;
}
