namespace IntegrationHub.Conformance.Certification;

/// <summary>The conformance classes a run is graded in, and their transports.</summary>
public static class CertificationClasses
{
    public const string CoreHttp = "core-http";
    public const string CoreMqtt = "core-mqtt";
    public const string PullHttp = "pull-http";
    public const string ProfilePrefix = "profile:";

    /// <summary>In <c>Certification:RequiredClasses</c>: a profile class for each profile the adapter may send.</summary>
    public const string EveryAllowedProfile = "profile:*";

    public static string Profile(string profileId) => ProfilePrefix + profileId;

    /// <summary>The ingest transport (<c>http</c>, <c>mqtt</c>) of a core class, or null.</summary>
    public static string? Transport(string coreClass) => coreClass switch
    {
        CoreHttp => "http",
        CoreMqtt => "mqtt",
        _ => null,
    };
}
