using System.Net;
using System.Text.RegularExpressions;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Tests.Infrastructure;

namespace IntegrationHub.Gateway.Tests.Portal;

/// <summary>A problem's <c>type</c> leads a person to a page about its code, served by the hub, readable without JavaScript.</summary>
public sealed partial class ErrorPagesTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    [Fact]
    public async Task ProblemType_LeadsToThePageOfItsCode()
    {
        using var client = Hub.As(null);
        using var problem = await client.GetAsync(new Uri("/v1/telemetry/latest", UriKind.Relative));
        var type = new Uri((await problem.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ErrorCodes.TokenMissing))["type"]!.GetValue<string>());

        using var page = await client.GetAsync(type);
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(Hub.BaseAddress.Authority, type.Authority);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<h1 class=\"page-title\">auth.token-missing</h1>", html, StringComparison.Ordinal);
        Assert.Contains("No access token was sent.", html, StringComparison.Ordinal);
        Assert.Contains("AUTH-001", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/specs/v1/errors/auth.token-missing\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryErrorCode_HasAPageWithoutScriptsOrOutsideAssets()
    {
        using var client = Hub.As(null);
        var spec = SpecCatalog.LoadEmbedded();

        foreach (var error in spec.Errors.All)
        {
            var html = await client.GetStringAsync(new Uri($"/docs/errors/{error.Code}", UriKind.Relative));

            // The hint reads as written, its `inline code` as code elements.
            Assert.Contains(error.Hint.Replace("`", "", StringComparison.Ordinal), WebUtility.HtmlDecode(Regex.Replace(html, "<[^>]+>", "")), StringComparison.Ordinal);
            Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
            Assert.Empty(OutsideReference().Matches(html));
        }
        var index = await client.GetStringAsync(new Uri("/docs/errors", UriKind.Relative));
        Assert.All(spec.Errors.All, e => Assert.Contains($"href=\"/docs/errors/{e.Code}\"", index, StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnknownCode_IsNotFound()
    {
        using var client = Hub.As(null);

        using var response = await client.GetAsync(new Uri("/docs/errors/auth.no-such-code", UriKind.Relative));

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound);
    }

    [GeneratedRegex("(?:src|href)=\"(?:https?:)?//", RegexOptions.IgnoreCase)]
    private static partial Regex OutsideReference();
}
