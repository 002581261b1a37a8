using IntegrationHub.Conformance.Spec;

namespace IntegrationHub.Conformance.Cli;

/// <summary>Where the CLI reads the spec: the copy built into it (the hub's, at the same version), or a folder.</summary>
internal static class SpecSource
{
    public static SpecCatalog Load(DirectoryInfo? directory)
    {
        if (directory is null)
        {
            return SpecCatalog.LoadEmbedded();
        }
        if (!directory.Exists)
        {
            throw new UsageException($"No such folder: {directory.FullName}");
        }
        try
        {
            return SpecCatalog.LoadDirectory(directory.FullName);
        }
        catch (SpecException e)
        {
            throw new UsageException($"The spec in {directory.FullName} does not load:\n  {string.Join("\n  ", e.Problems)}");
        }
    }
}
