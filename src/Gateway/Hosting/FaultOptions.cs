namespace IntegrationHub.Gateway.Hosting;

/// <summary>
/// Fault points for process-level tests (crash during ingest). Section <c>Faults</c>. The hub refuses to start with
/// any of them on in Production.
/// </summary>
internal sealed class FaultOptions
{
    public const string Section = "Faults";

    /// <summary>Hold every ingest transaction just before its commit, forever, so that a test can kill the process there.</summary>
    public bool HoldIngestCommit { get; set; }

    public bool Any => HoldIngestCommit;
}
