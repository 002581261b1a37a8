using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace IntegrationHub.Gateway.Specs;

/// <summary>
/// The exchange spec, published at <c>/specs/v1</c> exactly as the hub enforces it: the files come from the same
/// embedded copy the validator runs. Every file of <c>specs/</c> is at <c>/specs/v1/{path}</c>, so relative references
/// between the documents (AsyncAPI to schemas, schemas to schemas) resolve on the hub as they do on disk. Public,
/// with ETags; clients revalidate rather than cache blindly (SPEC-001).
/// </summary>
internal static class SpecsApi
{
    public const string Root = "/specs/v1";

    public static IEndpointRouteBuilder MapSpecs(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Root).WithTags("Spec").AllowAnonymous();
        group.MapGet("/", Index).WithName("GetSpecIndex")
            .WithSummary("What the spec holds: every file with its path, media type and ETag, and links to the schemas, profiles, documents and error catalogue.");
        group.MapGet("/profiles", Profiles).WithName("ListProfiles").WithSummary("The device profiles: id, version, domain, title.");
        group.MapGet("/profiles/{profileId}", (string profileId, SpecCatalog spec, HttpContext context) =>
                File(spec, $"profiles/{(profileId.EndsWith(".json", StringComparison.Ordinal) ? profileId[..^".json".Length] : profileId)}.json", context))
            .WithName("GetProfile").WithSummary("One device profile, as published (the id, with or without .json).");
        group.MapGet("/schemas/{name}", (string name, SpecCatalog spec, HttpContext context) => File(spec, $"schemas/{name}", context))
            .WithName("GetSchema").WithSummary("One JSON Schema of the spec (e.g. telemetry-message.schema.json).");
        group.MapGet("/errors", (SpecCatalog spec, HttpContext context) => File(spec, "errors.json", context))
            .WithName("GetErrorCatalogue").WithSummary("The catalogue of stable error codes.");
        group.MapGet("/errors/{code}", Error).WithName("GetErrorCode").WithSummary("One error code: its status, title and how to fix it. Its page for people is /docs/errors/{code}.");
        group.MapGet("/{**path}", (string path, SpecCatalog spec, HttpContext context) => File(spec, path, context))
            .WithName("GetSpecFile").WithSummary("Any file of the spec by its path in specs/ (asyncapi/asyncapi.yaml, openapi/openapi.json, events.json, requirements.json, rules.md, examples/…).");
        return app;
    }

    internal sealed record SpecLink(string Name, string Href);

    internal sealed record SpecFileEntry(string Path, string Href, string MediaType, string Etag, int Size);

    internal sealed record ProfileSummary(string Id, string Version, string Domain, string Title, string? TitleZh, string Href);

    internal sealed record SpecIndex(
        string Version,
        IReadOnlyList<SpecLink> Schemas,
        IReadOnlyList<ProfileSummary> Profiles,
        string Errors,
        IReadOnlyList<SpecLink> Documents,
        IReadOnlyList<SpecFileEntry> Files);

    /// <summary>The documents a reader looks for first, by name; each is also in <c>files</c>.</summary>
    private static readonly (string Name, string Path)[] Documents =
    [
        ("readme", "README.md"),
        ("openapi", "openapi/openapi.json"),
        ("asyncapi", "asyncapi/asyncapi.yaml"),
        ("events", "events.json"),
        ("requirements", "requirements.json"),
        ("errors", "errors.json"),
        ("rules", "rules.md"),
        ("rules-zh-CN", "rules.zh-CN.md"),
        ("cap", "cap/README.md"),
        ("cap-zh-CN", "cap/README.zh-CN.md"),
        ("certification", "certification.md"),
        ("certification-zh-CN", "certification.zh-CN.md"),
        ("pull", "pull.md"),
        ("pull-zh-CN", "pull.zh-CN.md"),
        ("areas", AreaCatalog.Path),
        ("compatibility", "COMPATIBILITY.md"),
        ("examples", "examples/manifest.json"),
    ];

    private static Ok<SpecIndex> Index(SpecCatalog spec) => TypedResults.Ok(new SpecIndex(
        "v1",
        spec.Schemas.Values.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => new SpecLink(s.Name, $"{Root}/schemas/{s.Name}.schema.json")).ToList(),
        Summaries(spec),
        $"{Root}/errors",
        Documents.Where(d => spec.FindFile(d.Path) is not null).Select(d => new SpecLink(d.Name, $"{Root}/{d.Path}")).ToList(),
        spec.Files.Select(f => new SpecFileEntry(f.Path, $"{Root}/{f.Path}", f.MediaType, f.ETag, f.Content.Length)).ToList()));

    private static Ok<List<ProfileSummary>> Profiles(SpecCatalog spec) => TypedResults.Ok(Summaries(spec));

    private static List<ProfileSummary> Summaries(SpecCatalog spec) =>
        spec.Profiles.Values.OrderBy(p => p.Id, StringComparer.Ordinal)
            .Select(p => new ProfileSummary(p.Id, p.Version, p.Domain, p.Definition.Title, p.Definition.TitleZh, $"{Root}/profiles/{p.Id}"))
            .ToList();

    private static Results<Ok<ErrorDescriptor>, ProblemHttpResult> Error(string code, SpecCatalog spec, HttpContext context) =>
        spec.Errors.TryGet(code, out var descriptor)
            ? TypedResults.Ok(descriptor)
            : ProblemResults.Problem(context, ErrorCodes.NotFound, $"No error code '{code}' in the catalogue.");

    private static IResult File(SpecCatalog spec, string path, HttpContext context)
    {
        if (spec.FindFile(path) is not { } file)
        {
            return ProblemResults.Problem(context, ErrorCodes.NotFound, $"The spec has no file '{path}'.");
        }
        context.Response.Headers.CacheControl = "no-cache";
        return TypedResults.Bytes(file.Content, file.MediaType, entityTag: EntityTagHeaderValue.Parse(file.ETag));
    }
}
