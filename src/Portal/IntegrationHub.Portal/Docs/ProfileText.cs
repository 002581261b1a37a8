using IntegrationHub.Conformance.Profiles;

namespace IntegrationHub.Portal.Docs;

/// <summary>The profile's own words in the reader's language: every titled item has an English and a Chinese title.</summary>
internal static class ProfileText
{
    public static string Title(DeviceProfile profile) => Title(profile.Title, profile.TitleZh);

    /// <summary>The other language's title, shown beside the first.</summary>
    public static string OtherTitle(DeviceProfile profile) => PortalCultures.IsChinese ? profile.Title : profile.TitleZh;

    /// <summary>A metric's, rule's or state's title in the reader's language.</summary>
    public static string Title(string title, string titleZh) => PortalCultures.IsChinese ? titleZh : title;
}
