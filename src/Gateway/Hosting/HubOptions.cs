using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Gateway.Hosting;

/// <summary>Where the hub keeps its state and how it presents itself. Section <c>Hub</c>.</summary>
internal sealed class HubOptions
{
    public const string Section = "Hub";

    /// <summary>
    /// The installation's id, stable for its life: it names the source of every event the hub emits
    /// (<c>/integrationhub/{Id}/…</c>), so that source plus event id is unique across the city's hubs.
    /// </summary>
    [Required, RegularExpression("^[a-z0-9][a-z0-9-]{0,62}$")]
    public string Id { get; set; } = "hub";

    /// <summary>
    /// The data folder: database, signing keys, the bootstrap admin's credentials. A relative path resolves against the
    /// content root (<see cref="ContentRoot"/>), so the folder does not move with the directory the hub was started from;
    /// once bound, it holds the full path.
    /// </summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// Plain HTTP from loopback clients. On by default in Development only; everywhere else the hub requires TLS.
    /// </summary>
    public bool AllowLoopbackHttp { get; set; }

    public string DataPath(string name) => Path.Combine(DataDirectory, name);
}
