using System.Globalization;
using System.Threading.RateLimiting;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.ClosedLoop;
using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.SourceHealth;

namespace IntegrationHub.Gateway.Hosting;

/// <summary>
/// Rate limits: ingest per client (a token bucket, so bursts up to the bucket pass), the token endpoint per client
/// address, source health, attachment uploads and the loop's measures per client. A refused request gets 429 with <c>Retry-After</c> and the <c>request.rate-limited</c> problem.
/// </summary>
internal static class HubRateLimits
{
    public const string IngestPolicy = "ingest";
    public const string TokenPolicy = "token";
    public const string SourceHealthPolicy = "source-health";
    public const string UploadPolicy = "upload";
    public const string MeasuresPolicy = "measures";

    public static IServiceCollection AddHubRateLimits(this IServiceCollection services)
    {
        services.AddRateLimiter(options =>
        {
            options.AddPolicy(IngestPolicy, context => RateLimitPartition.GetTokenBucketLimiter(
                context.User.ClientId() ?? "anonymous:" + context.Connection.RemoteIpAddress,
                _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = Options<IngestionOptions>(context).RequestBurst,
                    TokensPerPeriod = Options<IngestionOptions>(context).RequestsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                }));
            options.AddPolicy(TokenPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = Options<AuthOptions>(context).TokenRequestsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            options.AddPolicy(SourceHealthPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.User.ClientId() ?? "anonymous:" + context.Connection.RemoteIpAddress,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = Options<SourceHealthOptions>(context).RequestsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            options.AddPolicy(UploadPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.User.ClientId() ?? "anonymous:" + context.Connection.RemoteIpAddress,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = Options<FeedbackOptions>(context).UploadsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            options.AddPolicy(MeasuresPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.User.ClientId() ?? "anonymous:" + context.Connection.RemoteIpAddress,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = Options<LoopMeasuresOptions>(context).MeasuresPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            options.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                context.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await ProblemResults.WriteAsync(context.HttpContext, ErrorCodes.RateLimited, $"Too many requests; retry after {retryAfter} s.");
            };
        });
        return services;
    }

    private static T Options<T>(HttpContext context)
        where T : class => context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<T>>().Value;
}
