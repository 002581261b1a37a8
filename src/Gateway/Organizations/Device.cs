namespace IntegrationHub.Gateway.Organizations;

/// <summary>A sensor or station behind an adapter. Device ids are unique within an organization.</summary>
internal sealed class Device
{
    /// <summary>The hub's own key, which observations reference.</summary>
    public long Key { get; init; }
    public required string OrganizationId { get; init; }
    public required string DeviceId { get; init; }
    public required string AdapterId { get; set; }
    public required string ProfileId { get; set; }
    public string? Name { get; set; }

    /// <summary>A group the organization puts the device in (a pipeline section, a station, a tunnel), for site parameters shared by the group.</summary>
    public string? Group { get; set; }

    /// <summary>GB/T 2260 code of the district the device stands in.</summary>
    public required string District { get; set; }

    public required double Lon { get; set; }
    public required double Lat { get; set; }
    public required string Crs { get; set; }

    /// <summary>Site parameters that override the profile's defaults for this device.</summary>
    public Dictionary<string, double> Parameters { get; set; } = [];

    public required DateTimeOffset CreatedAt { get; init; }
}
