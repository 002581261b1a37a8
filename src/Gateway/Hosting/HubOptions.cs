using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Gateway.Hosting;

/// <summary>Where the hub keeps its state and how it presents itself. Section <c>Hub</c>.</summary>
internal sealed class HubOptions
{
    public const string Section = "Hub";

    /// <summary>The data folder: database, signing keys, the bootstrap admin's credentials. Relative paths resolve against the working directory.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// Plain HTTP from loopback clients. On by default in Development only; everywhere else the hub requires TLS.
    /// </summary>
    public bool AllowLoopbackHttp { get; set; }

    public string DataPath(string name) => Path.Combine(Path.GetFullPath(DataDirectory), name);
}
