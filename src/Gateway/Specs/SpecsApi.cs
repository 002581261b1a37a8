using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace IntegrationHub.Gateway.Specs;

/// <summary>
/// The exchange spec, published at <c>/specs/v1</c> exactly as the hub enforces it: the files come from the same
/// embedded copy the validator runs. Public, cacheable, with ETags (SPEC-001).
/// </summary>
internal static class SpecsApi
{
    public const string Root = "/specs/v1";

    public static IEndpointRouteBuilder MapSpecs(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Root).WithTags("Spec").AllowAnonymous();
        group.MapGet("/", Index).WithName("GetSpecIndex").WithSummary("What the spec holds: schemas, profiles, the error catalogue, with links.");
        group.MapGet("/profiles", Profiles).WithName("ListProfiles").WithSummary("The device profiles: id, version, domain, title.");
        group.MapGet("/profiles/{profileId}", (string profileId, SpecCatalog spec, HttpContext context) => File(spec, $"profiles/{profileId}.json", context))
            .WithName("GetProfile").WithSummary("One device profile, as published.");
        group.MapGet("/schemas/{name}", (string name, SpecCatalog spec, HttpContext context) => File(spec, $"schemas/{name}", context))
            .WithName("GetSchema").WithSummary("One JSON Schema of the spec (e.g. telemetry-message.schema.json).");
        group.MapGet("/errors", (SpecCatalog spec, HttpContext context) => File(spec, "errors.json", context))
            .WithName("GetErrorCatalogue").WithSummary("The catalogue of stable error codes.");
        group.MapGet("/errors/{code}", Error).WithName("GetErrorCode").WithSummary("One error code: its status, title and how to fix it. Problem details link here from `type`.");
        return app;
    }

    internal sealed record SpecLink(string Name, string Href);

    internal sealed record ProfileSummary(string Id, string Version, string Domain, string Title, string? TitleZh, string Href);

    internal sealed record SpecIndex(string Version, IReadOnlyList<SpecLink> Schemas, IReadOnlyList<ProfileSummary> Profiles, string Errors);

    private static Ok<SpecIndex> Index(SpecCatalog spec) => TypedResults.Ok(new SpecIndex(
        "v1",
        spec.Schemas.Values.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => new SpecLink(s.Name, $"{Root}/schemas/{s.Name}.schema.json")).ToList(),
        Summaries(spec),
        $"{Root}/errors"));

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
        var contentType = path.EndsWith(".schema.json", StringComparison.Ordinal) ? "application/schema+json" : "application/json";
        return TypedResults.Bytes(file.Content, contentType, entityTag: EntityTagHeaderValue.Parse(file.ETag));
    }
}
