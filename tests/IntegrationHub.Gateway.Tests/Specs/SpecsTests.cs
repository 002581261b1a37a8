using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Gateway.Tests.Infrastructure;

namespace IntegrationHub.Gateway.Tests.Specs;

public sealed class SpecsTests(HubFixture fixture) : IClassFixture<HubFixture>
{
    private HubFactory Hub => fixture.Hub;

    private static string Root => Repository.Root;

    [Fact]
    public async Task Index_LinksEverySchemaAndProfile()
    {
        using var client = Hub.CreateClient();

        var index = await client.GetJsonAsync("/specs/v1");

        Assert.Equal(
            Directory.GetFiles(Path.Combine(Root, "specs", "profiles")).Select(Path.GetFileNameWithoutExtension).Order(),
            index["profiles"]!.AsArray().Select(p => p!["id"]!.GetValue<string>()).Order());
        foreach (var link in index["schemas"]!.AsArray().Select(s => s!["href"]!.GetValue<string>()))
        {
            using var schema = await client.GetAsync(new Uri(link, UriKind.Relative));
            Assert.Equal("application/schema+json", schema.Content.Headers.ContentType?.MediaType);
        }
    }

    [Theory]
    [InlineData("/specs/v1/profiles/gas.underground-methane", "profiles/gas.underground-methane.json")]
    [InlineData("/specs/v1/profiles/traffic.vehicle-jt808.json", "profiles/traffic.vehicle-jt808.json")]
    [InlineData("/specs/v1/schemas/telemetry-message.schema.json", "schemas/telemetry-message.schema.json")]
    [InlineData("/specs/v1/errors", "errors.json")]
    [InlineData("/specs/v1/rules.zh-CN.md", "rules.zh-CN.md")]
    [InlineData("/specs/v1/cap/README.zh-CN.md", "cap/README.zh-CN.md")]
    [InlineData("/specs/v1/certification.zh-CN.md", "certification.zh-CN.md")]
    [InlineData("/specs/v1/pull.zh-CN.md", "pull.zh-CN.md")]
    public async Task Files_AreServedExactlyAsInTheRepository_WithETags(string path, string file)
    {
        using var client = Hub.CreateClient();

        await AssertServedExactlyAsync(client, path, file);
    }

    /// <summary>The index names each Markdown document and its Chinese translation among the documents a reader looks for first.</summary>
    [Fact]
    public async Task Index_NamesEachDocumentAndItsChineseTranslation()
    {
        using var client = Hub.CreateClient();

        var documents = (await client.GetJsonAsync("/specs/v1"))["documents"]!.AsArray()
            .ToDictionary(d => d!["name"]!.GetValue<string>(), d => d!["href"]!.GetValue<string>());

        Assert.Equal("/specs/v1/rules.zh-CN.md", documents["rules-zh-CN"]);
        Assert.Equal("/specs/v1/cap/README.zh-CN.md", documents["cap-zh-CN"]);
        Assert.Equal("/specs/v1/certification.zh-CN.md", documents["certification-zh-CN"]);
        Assert.Equal("/specs/v1/pull.zh-CN.md", documents["pull-zh-CN"]);
        Assert.Equal("/specs/v1/certification.md", documents["certification"]);
    }

    /// <summary>The index lists every file of specs/, and each is served at its path byte for byte, with an ETag that revalidates.</summary>
    [Fact]
    public async Task EveryFile_IsListedAndServedExactlyAsInTheRepository()
    {
        using var client = Hub.CreateClient();
        var specs = Path.Combine(Root, "specs");
        var onDisk = Directory.GetFiles(specs, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(specs, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();

        var listed = (await client.GetJsonAsync("/specs/v1"))["files"]!.AsArray();

        Assert.Equal(onDisk, listed.Select(f => f!["path"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        foreach (var entry in listed)
        {
            using var response = await AssertServedExactlyAsync(client, entry!["href"]!.GetValue<string>(), entry["path"]!.GetValue<string>());

            Assert.Equal(entry["etag"]!.GetValue<string>(), response.Headers.ETag!.ToString());
            Assert.Equal(entry["mediaType"]!.GetValue<string>().Split(';')[0], response.Content.Headers.ContentType?.MediaType);
        }
    }

    /// <summary>Asserts the response is the file's bytes with an ETag that a conditional GET revalidates; returns the response.</summary>
    private static async Task<HttpResponseMessage> AssertServedExactlyAsync(HttpClient client, string href, string file)
    {
        var response = await client.GetAsync(new Uri(href, UriKind.Relative));
        Assert.True(response.IsSuccessStatusCode && response.Headers.ETag is not null, $"{href}: {(int)response.StatusCode}, ETag {response.Headers.ETag}");
        using var conditional = new HttpRequestMessage(HttpMethod.Get, href);
        conditional.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        using var notModified = await client.SendAsync(conditional);

        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(Root, "specs", file)), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        return response;
    }

    /// <summary>The AsyncAPI document refers to the schemas by relative path; on the hub those references resolve too.</summary>
    [Fact]
    public async Task AsyncApiReferences_ResolveOnTheHub()
    {
        using var client = Hub.CreateClient();
        var document = new Uri(Hub.BaseAddress, "/specs/v1/asyncapi/asyncapi.yaml");
        var yaml = await client.GetStringAsync(document);
        var references = System.Text.RegularExpressions.Regex.Matches(yaml, @"\$ref: '(\.\./[^'#]+)'").Select(m => m.Groups[1].Value).Distinct().ToList();

        Assert.NotEmpty(references);
        foreach (var reference in references)
        {
            using var response = await client.GetAsync(new Uri(document, reference));
            Assert.True(response.IsSuccessStatusCode, $"{reference} does not resolve on the hub: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task UnknownFile_IsNotFound()
    {
        using var client = Hub.CreateClient();

        using var response = await client.GetAsync(new Uri("/specs/v1/profiles/gas/../../../appsettings.json", UriKind.Relative));

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, "request.not-found");
    }

    [Fact]
    public async Task ErrorCode_IsServedAsJson()
    {
        using var client = Hub.As(null);

        var documentation = await client.GetJsonAsync("/specs/v1/errors/auth.token-missing");

        Assert.Equal("auth.token-missing", documentation["code"]!.GetValue<string>());
        Assert.Equal(401, documentation["status"]!.GetValue<int>());
    }

    /// <summary>
    /// The OpenAPI document is generated from the endpoints and checked in at specs/openapi/openapi.json. This test
    /// fails when they differ; run it with IHUB_UPDATE_OPENAPI=1 to write the new document, then review the diff.
    /// </summary>
    [Fact]
    public async Task OpenApi_CheckedInDocument_MatchesTheHub()
    {
        using var client = Hub.CreateClient();
        var generated = JsonNode.Parse(await client.GetStringAsync(new Uri("/swagger/v1/swagger.json", UriKind.Relative)))!;
        var path = Path.Combine(Root, "specs", "openapi", "openapi.json");
        var text = generated.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";

        if (Environment.GetEnvironmentVariable("IHUB_UPDATE_OPENAPI") == "1" || Environment.GetEnvironmentVariable("IHUB_UPDATE_SPECS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, text);
        }

        Assert.True(File.Exists(path), "specs/openapi/openapi.json is missing; run the tests with IHUB_UPDATE_OPENAPI=1 to create it.");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(await File.ReadAllTextAsync(path)), generated),
            "specs/openapi/openapi.json differs from the hub's endpoints; run the tests with IHUB_UPDATE_OPENAPI=1 and review the diff.");
        Assert.StartsWith("3.1.", generated["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("clientCredentials", generated["components"]!["securitySchemes"]!["oauth2"]!["flows"]!.AsObject().Single().Key);
    }
}
