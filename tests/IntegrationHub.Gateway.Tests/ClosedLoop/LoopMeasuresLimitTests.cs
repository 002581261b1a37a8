using System.Net;
using IntegrationHub.Gateway.Tests.Infrastructure;

namespace IntegrationHub.Gateway.Tests.ClosedLoop;

/// <summary>
/// The loop's measures are a heavy read (LOOP-011): each request ranks a period's unit shares, so each client asks for
/// them, their exports and the false-alarm rates at most <c>Loop:MeasuresPerMinute</c> times a minute, 3 here.
/// </summary>
public sealed class LoopMeasuresLimitTests() : OwnHub(new() { ["Loop:MeasuresPerMinute"] = "3" })
{
    [Fact]
    public async Task AClientAskingForMeasuresTooOften_Gets429WithRetryAfter_AndOtherClientsAreNotHeldUp()
    {
        using var admin = await Hub.AdminAsync();
        using var unit = await Hub.UnitAsync("lm-unit");
        // An export and the false-alarm rates count as much as the measures.
        foreach (var path in new[] { "/v1/loop/measures", "/v1/loop/measures?format=csv", "/v1/loop/false-alarms" })
        {
            using var taken = await admin.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, taken.StatusCode);
        }
        using (var refused = await admin.GetAsync(new Uri("/v1/loop/measures?groupBy=district", UriKind.Relative)))
        {
            await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "request.rate-limited");
            Assert.InRange(int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        }
        using var other = await unit.GetAsync(new Uri("/v1/loop/measures", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }
}
