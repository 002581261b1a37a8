using System.Collections.Frozen;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.ClosedLoop;

/// <summary>The closed loop's settings. Section <c>Routing</c>.</summary>
internal sealed class RoutingOptions
{
    public const string Section = "Routing";

    /// <summary>
    /// The plan whose responsible units seed the routing table on the hub's first start: a file
    /// <c>specs/routing/{Plan}.json</c>. Empty: the table starts empty.
    /// </summary>
    [RegularExpression("^[a-z0-9-]*$")]
    public string Plan { get; set; } = "qingdao-2022";
}

/// <summary>
/// Seeds the routing table from the city plan's responsible units (责任单位) once, on the first start of a hub: the
/// bureaus and enterprises the plan names become organizations when they do not exist, its lines become routes, and its
/// supervising organizations (督办单位) the supervision chain's second step.
/// The seed is audited (<c>routing.seed</c>); a hub that has seeded never seeds again, even after the operator emptied
/// the table.
/// </summary>
internal sealed partial class RoutingPlan(IServiceScopeFactory scopes, SpecCatalog spec, TimeProvider time, IOptions<RoutingOptions> options, ILogger<RoutingPlan> logger) : IHostedService
{
    public const string SeedAction = "routing.seed";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The monitoring domains a route may name: the profile schema's (warning hazards included).</summary>
    public static FrozenSet<string> Domains(SpecCatalog spec) =>
        spec.Schema(SpecCatalog.ProfileSchema).Root.GetProperty("$defs").GetProperty("domain").GetProperty("enum").EnumerateArray().Select(d => d.GetString()!)
            // The hub's own rule set routes like a domain (rules.md §14).
            .Append(SourceHealth.SystemRules.Domain).ToFrozenSet();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Plan.Length == 0)
        {
            return;
        }
        var plan = Load(spec, options.Value.Plan);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDb>();
        if (await db.Audit.AnyAsync(a => a.Action == SeedAction, cancellationToken))
        {
            return;
        }
        var now = time.GetUtcNow();
        var existing = (await db.Organizations.Select(o => o.Id).ToListAsync(cancellationToken)).ToHashSet();
        foreach (var organization in plan.Organizations.Where(o => !existing.Contains(o.Id)))
        {
            db.Organizations.Add(new Organization { Id = organization.Id, Name = organization.Name, Kind = organization.Kind, CreatedAt = now });
        }
        foreach (var line in plan.Routes)
        {
            db.Routes.Add(new UnitRoute
            {
                Domain = line.Domain,
                District = line.District,
                Profile = line.Profile,
                MinLevel = line.MinLevel,
                Target = line.Target,
                OrganizationId = line.OrganizationId,
                Role = line.Role,
                Note = line.Note,
                CreatedAt = now.ToUnixTimeMilliseconds(),
                CreatedBy = SeedActor,
                UpdatedAt = now.ToUnixTimeMilliseconds(),
                UpdatedBy = SeedActor,
            });
        }
        foreach (var line in plan.Supervisors ?? [])
        {
            db.Supervisors.Add(new SupervisorLine
            {
                Domain = line.Domain,
                District = line.District,
                Profile = line.Profile,
                OrganizationId = line.OrganizationId,
                Note = line.Note,
                CreatedAt = now.ToUnixTimeMilliseconds(),
                CreatedBy = SeedActor,
                UpdatedAt = now.ToUnixTimeMilliseconds(),
                UpdatedBy = SeedActor,
            });
        }
        db.Record(now, SeedActor, SeedAction, $"routing/{options.Value.Plan}", new { plan.Plan, routes = plan.Routes.Count, supervisors = plan.Supervisors?.Count ?? 0 });
        await db.SaveChangesAsync(cancellationToken);
        Seeded(logger, plan.Routes.Count, options.Value.Plan);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Who seeded: the hub itself, from its plan.</summary>
    public const string SeedActor = "plan";

    /// <summary>Reads and checks a plan; a plan that names an unknown domain, profile or organization stops the hub.</summary>
    public static PlanFile Load(SpecCatalog spec, string name)
    {
        var file = spec.FindFile($"routing/{name}.json") ?? throw new InvalidOperationException($"Routing:Plan names 'routing/{name}.json', which is not in the spec.");
        var plan = JsonSerializer.Deserialize<PlanFile>(file.Content, Json) ?? throw new InvalidOperationException($"routing/{name}.json is empty.");
        var domains = Domains(spec);
        var organizations = plan.Organizations.Select(o => o.Id).ToHashSet();
        foreach (var line in plan.Routes)
        {
            var valid = domains.Contains(line.Domain)
                && (line.Profile is null || (spec.Profiles.TryGetValue(line.Profile, out var profile) && profile.Domain == line.Domain))
                && (line.Target == RouteTarget.District ? line.OrganizationId is null : line.OrganizationId is { } id && organizations.Contains(id));
            if (!valid)
            {
                throw new InvalidOperationException($"routing/{name}.json: the route of domain '{line.Domain}' to '{line.OrganizationId ?? "the district"}' names an unknown domain, profile or organization.");
            }
        }
        foreach (var line in plan.Supervisors ?? [])
        {
            if (!domains.Contains(line.Domain) || !organizations.Contains(line.OrganizationId)
                || (line.Profile is not null && (!spec.Profiles.TryGetValue(line.Profile, out var profile) || profile.Domain != line.Domain)))
            {
                throw new InvalidOperationException($"routing/{name}.json: the supervising organization '{line.OrganizationId}' of domain '{line.Domain}' names an unknown domain, profile or organization.");
            }
        }
        return plan;
    }

    internal sealed record PlanFile(string Plan, IReadOnlyList<PlanOrganization> Organizations, IReadOnlyList<PlanRoute> Routes, IReadOnlyList<PlanSupervisor>? Supervisors = null);

    /// <summary>A supervising organization of the plan (督办, LOOP-005).</summary>
    internal sealed record PlanSupervisor(string Domain, string? District, string? Profile, string OrganizationId, string? Note);

    internal sealed record PlanOrganization(string Id, string Name, string NameEn, [property: System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<OrganizationKind>))] OrganizationKind Kind);

    internal sealed record PlanRoute(
        string Domain, string? District, string? Profile, AlertLevel? MinLevel,
        [property: System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<RouteTarget>))] RouteTarget Target,
        string? OrganizationId,
        [property: System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<UnitRole>))] UnitRole Role,
        string? Note);

    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Seeded the routing table with {Routes} routes from the plan {Plan}.")]
    private static partial void Seeded(ILogger logger, int routes, string plan);
}
