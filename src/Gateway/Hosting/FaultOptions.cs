namespace IntegrationHub.Gateway.Hosting;

/// <summary>
/// Fault points for tests of what the hub does when something fails (a crash during ingest, a write that fails).
/// Section <c>Faults</c>. The hub refuses to start with any of them on in Production.
/// </summary>
internal sealed class FaultOptions
{
    public const string Section = "Faults";

    /// <summary>Hold every ingest transaction just before its commit, forever, so that a test can kill the process there.</summary>
    public bool HoldIngestCommit { get; set; }

    /// <summary>
    /// Fail the durable write of every valid message with this message id, as a store refusing one message's data
    /// would, so that a test can see such a message cost no other message its answer.
    /// </summary>
    public string? FailWriteOfMessageId { get; set; }

    public bool Any => HoldIngestCommit || FailWriteOfMessageId is not null;
}
