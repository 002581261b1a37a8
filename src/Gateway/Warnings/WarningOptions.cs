using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Gateway.Warnings;

/// <summary>Limits of the agencies' warnings. Section <c>Warnings</c>.</summary>
internal sealed class WarningOptions
{
    public const string Section = "Warnings";

    /// <summary>The largest CAP document the hub takes; national warnings are a few kilobytes.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxDocumentBytes { get; set; } = 256 * 1024;
}
