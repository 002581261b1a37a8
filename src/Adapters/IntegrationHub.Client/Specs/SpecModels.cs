namespace IntegrationHub.Client.Specs;

/// <summary>What the published spec holds, with links.</summary>
public sealed record SpecIndex(string Version, IReadOnlyList<SpecLink> Schemas, IReadOnlyList<ProfileSummary> Profiles, string Errors);

public sealed record SpecLink(string Name, string Href);

/// <summary>A device profile's id, version, domain and titles.</summary>
public sealed record ProfileSummary(string Id, string Version, string Domain, string Title, string? TitleZh, string Href);

/// <summary>The error-code catalogue (specs/errors.json).</summary>
public sealed record ErrorCatalogue(IReadOnlyList<ErrorDescriptor> Errors);

/// <summary>One stable error code: its HTTP status, title and how to fix it.</summary>
public sealed record ErrorDescriptor(string Code, int Status, string Title, string Hint)
{
    /// <summary>The title in Chinese, for people reading in Chinese.</summary>
    public string? TitleZh { get; init; }

    /// <summary>The hint in Chinese.</summary>
    public string? HintZh { get; init; }
}
