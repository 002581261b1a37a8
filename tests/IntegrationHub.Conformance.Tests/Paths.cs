namespace IntegrationHub.Conformance.Tests;

/// <summary>Where the tests find the repository's spec and the outside oracles.</summary>
internal static class Paths
{
    /// <summary>Names the folder holding the standards bodies' test data (../shared/oracles); .ci/run sets it.</summary>
    public const string OraclesVariable = "IHUB_ORACLES";

    public static string RepositoryRoot { get; } = FindRoot();

    public static string Specs => Path.Combine(RepositoryRoot, "specs");

    /// <summary>
    /// The oracle folder, or a skip when the variable is unset (a user's run without the data).
    /// When the variable is set, missing data is a failure, not a skip.
    /// </summary>
    public static string Oracle(string name)
    {
        var root = Environment.GetEnvironmentVariable(OraclesVariable);
        if (string.IsNullOrEmpty(root))
        {
            Assert.Skip($"{OraclesVariable} is not set, so the official test data ({name}) is not available. Set it to the shared oracles folder (../shared/oracles) to run this test; .ci/run does.");
        }
        var path = Path.Combine(root, name);
        Assert.True(Directory.Exists(path) || File.Exists(path), $"{OraclesVariable} is set to '{root}', but '{path}' does not exist.");
        return path;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "IntegrationHub.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("Cannot find the repository root (IntegrationHub.sln) above " + AppContext.BaseDirectory);
    }
}
