using Refit;

namespace IntegrationHub.Client.Certification;

/// <summary>
/// Certification sessions: an adapter (scope <c>telemetry:write</c>) opens one and learns what to send, watches what
/// arrived, then has the hub grade it into a signed report. An organization's people (scope <c>organization:manage</c>)
/// read the sessions of all its adapters. When the adapter's sessions have passed the
/// hub's required classes it moves from <c>sandbox</c> to <c>certified</c>; the operator then promotes it to production
/// (<see cref="Administration.IAdministrationApi.PromoteAdapterAsync"/>). Reads are retried on transient failures;
/// opening and evaluating are not (a session opened twice is refused while the first is open, and a session is
/// evaluated once), so read the sessions to see whether a failed call took effect.
/// </summary>
public interface ICertificationsApi
{
    /// <summary>
    /// Opens a session for the calling adapter. The answer's <see cref="CertificationSession.Instructions"/> say what
    /// to send: the devices, the reporting interval, for how long, the clock skew allowed and a threshold-crossing step
    /// that must raise an alert. Fails with <c>certification.session-open</c> while another session is open.
    /// </summary>
    [Post("/v1/certifications")]
    Task<CertificationSession> OpenCertificationAsync([Body] OpenCertificationRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// The sessions the caller may see, newest first, at most 200, without their reports: an adapter's own, or every
    /// adapter's of the organization; <paramref name="adapterId"/> narrows them to one adapter.
    /// </summary>
    [Get("/v1/certifications")]
    Task<IReadOnlyList<CertificationSession>> ListCertificationsAsync(string? adapterId = null, CancellationToken cancellationToken = default);

    /// <summary>One session: what arrived so far, which devices raised an alert, and once evaluated the signed report.</summary>
    [Get("/v1/certifications/{certificationId}")]
    Task<CertificationSession> GetCertificationAsync(string certificationId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Closes the session and grades it; the answer carries the report, its JWS signed with a key of the hub's
    /// <c>/.well-known/jwks</c> (check it offline with <c>ihub verify</c>) and the adapter's status afterwards. Only
    /// the adapter that opened a session evaluates it, once (<c>certification.closed</c> after that).
    /// </summary>
    [Post("/v1/certifications/{certificationId}/evaluation")]
    Task<CertificationSession> EvaluateCertificationAsync(string certificationId, CancellationToken cancellationToken = default);
}
