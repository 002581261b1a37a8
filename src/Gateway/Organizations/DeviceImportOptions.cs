using System.ComponentModel.DataAnnotations;

namespace IntegrationHub.Gateway.Organizations;

/// <summary>Bounds of a device import from CSV. Section <c>Devices:Import</c>.</summary>
internal sealed class DeviceImportOptions
{
    public const string Section = "Devices:Import";

    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBytes { get; set; } = 2 * 1024 * 1024;

    [Range(1, 100_000)]
    public int MaxRows { get; set; } = 10_000;
}
