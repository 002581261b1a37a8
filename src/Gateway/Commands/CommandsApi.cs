using System.Collections.Frozen;
using System.Text.Json;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.OpenApi;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Storage;
using IntegrationHub.Gateway.Subscriptions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Commands;

/// <summary>
/// Commands down to devices: a caller with <c>devices:command</c> (the operator, or an organization over its own
/// devices) sends one its device's profile declares (CMD-001, CMD-002); the device's adapter answers it over HTTP or
/// MQTT (CMD-005); its lifecycle is readable step by step (CMD-006). An adapter may register a command webhook to get
/// its devices' commands over HTTP instead of MQTT (CMD-003).
/// </summary>
internal static class CommandsApi
{
    public const string Path = "/v1/commands";

    private static readonly JsonElement EmptyObject = JsonSerializer.Deserialize<JsonElement>("{}");

    /// <summary>Where an adapter answers a command over HTTP, relative to the hub's address.</summary>
    public static string StatusPath(string commandId) => $"{Path}/{Uri.EscapeDataString(commandId)}/status";

    public static IEndpointRouteBuilder MapCommands(this IEndpointRouteBuilder app)
    {
        var device = app.MapGroup("/v1/devices/{deviceId}/commands").WithTags("Commands").RequireScope(Scopes.DevicesCommand);
        device.MapPost("/", SendAsync).WithName("SendCommand")
            .WithSummary("Send a device a command its profile declares, with parameters the profile's schema accepts and an expiry; the hub delivers it through the device's adapter.")
            .WithDescription("An organization commands its own devices (`organizationId` may be left out); the operator names the device's organization unless the device id is the only one of its name. The command goes to the adapter's command webhook when it has one, else to `hub/v1/commands/{adapterId}/{deviceId}` over MQTT at QoS 1, and again until the adapter accepts or rejects it, never at or after `expiresAt` (default: five minutes from now). A sandbox adapter's devices take commands only from their own organization. Sending the same `id` again answers the command already sent (200) instead of sending it twice.")
            .DocumentsProblem(StatusCodes.Status403Forbidden, "The device's adapter is in the sandbox and the caller is of another organization (`command.sandbox`).")
            .DocumentsProblem(StatusCodes.Status409Conflict, "A different command already has this `id` (`command.exists`).")
            .DocumentsProblem(StatusCodes.Status422UnprocessableEntity, "The profile declares no such command (`command.not-declared`), its schema refuses the parameters (`command.invalid-parameters`, a finding per problem), or `expiresAt` is not in the future within `Commands:MaxLifetime`.");
        device.MapGet("/", ListAsync).WithName("ListDeviceCommands").WithSummary("The device's commands, newest first, with their status.");

        var commands = app.MapGroup(Path).WithTags("Commands");
        commands.MapGet("/{commandId}", GetAsync).RequireAuthorization(HubPolicies.ForScope(Scopes.DevicesCommand, Scopes.TelemetryWrite)).WithName("GetCommand")
            .WithSummary("A command with every step of its life: issued, each delivery, each answer, its expiry; for its organization, its issuer and the device's adapter.");
        commands.MapPost("/{commandId}/status", AnswerAsync).RequireScope(Scopes.TelemetryWrite).WithName("AnswerCommand")
            .WithSummary("The device's adapter answers a command: accepted, rejected, executed or failed, with a detail.")
            .WithDescription("A command pending or sent takes any answer; an accepted one becomes executed or failed; a final one takes none. The answer it already has is answered 200 again, changing nothing. Once accepted or rejected the command is never delivered again; an expired command cannot be accepted.")
            .DocumentsProblem(StatusCodes.Status409Conflict, "The command cannot take that answer now (`command.invalid-transition`), or it expired (`command.expired`).");

        var webhook = app.MapGroup("/v1/adapters/{adapterId}/command-webhook").WithTags("Commands").RequireSelfService();
        webhook.MapPut("/", SetWebhookAsync).WithName("SetCommandWebhook")
            .WithSummary("Have the adapter's devices' commands POSTed to a URL, signed with Standard Webhooks headers, instead of published over MQTT. Answers a new signing secret, shown once.")
            .DocumentsProblem(StatusCodes.Status422UnprocessableEntity, "The URL may not be called (`command.webhook-refused`): not https, not public, not allow-listed.");
        webhook.MapGet("/", GetWebhookAsync).WithName("GetCommandWebhook").WithSummary("Where the adapter's commands are POSTed; the secret is never shown again.");
        webhook.MapDelete("/", DeleteWebhookAsync).WithName("DeleteCommandWebhook").WithSummary("Stop POSTing the adapter's commands: they go over MQTT again.");
        return app;
    }

    /// <summary>
    /// <c>id</c>: optional, to send a command safely more than once; <c>parameters</c>: an object the profile's schema
    /// for the command accepts (default <c>{}</c>); <c>alertId</c>: the alert of the device the command answers.
    /// </summary>
    internal sealed record SendCommandRequest(string? Id, string? Command, JsonElement? Parameters, DateTimeOffset? ExpiresAt, long? AlertId);

    internal sealed record CommandStepResponse(DateTimeOffset At, string Step, string Actor, string? Channel, string? Detail);

    /// <summary>
    /// A command and, when read alone, its steps. <c>status</c>: pending, sent, accepted, rejected, executed, failed or
    /// expired; <c>detail</c>: what the adapter (or the hub) last said.
    /// </summary>
    internal sealed record CommandResponse(
        string Id, string OrganizationId, string DeviceId, string AdapterId, string Profile, string Command, JsonElement Parameters, string Status, string? Detail,
        string IssuedBy, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, long? AlertId, int Attempts, string? Channel, DateTimeOffset UpdatedAt,
        IReadOnlyList<CommandStepResponse>? Steps)
    {
        public static CommandResponse From(DeviceCommand c, IReadOnlyList<DeviceCommandStep>? steps = null)
        {
            using var parameters = JsonDocument.Parse(c.Parameters);
            return new(c.Id, c.OrganizationId, c.DeviceId, c.AdapterId, c.ProfileId, c.Command, parameters.RootElement.Clone(), c.Status.ToWire(), c.Detail,
                c.IssuedBy, c.CreatedAt, DateTimeOffset.FromUnixTimeMilliseconds(c.ExpiresAt), c.AlertId, c.Attempts, c.Channel, c.UpdatedAt,
                steps?.Select(s => new CommandStepResponse(s.At, s.Step, s.Actor, s.Channel, s.Detail)).ToList());
        }
    }

    /// <summary>An adapter's answer over HTTP; <c>commandId</c>, when given, must be the path's.</summary>
    internal sealed record AnswerRequest(string? CommandId, string? Status, string? Detail);

    internal sealed record CommandWebhookRequest(string? Url);

    /// <summary>The adapter's command webhook; <c>secret</c> (whsec_…) only in the answer that made it.</summary>
    internal sealed record CommandWebhookResponse(string AdapterId, string Url, string? Secret, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

    private static async Task<Results<Created<CommandResponse>, Ok<CommandResponse>, ProblemHttpResult>> SendAsync(
        string deviceId, SendCommandRequest request, HubDb db, SpecCatalog spec, CommandDispatcher dispatcher, CommandMetrics metrics,
        IOptions<CommandOptions> options, TimeProvider time, HttpContext context, string? organizationId = null)
    {
        var caller = context.Caller();
        var (device, problem) = await FindDeviceAsync(deviceId, organizationId, db, context);
        if (device is null)
        {
            return problem!;
        }
        var check = new RequestValidator();
        check.Text(request.Id, "/id", Patterns.DeviceId(), "An id of 1 to 64 letters, digits, '.', '_', ':' and '-', starting with a letter or digit.", required: false);
        if (request.Id is { Length: > 64 })
        {
            check.Add(ErrorCodes.InvalidValue, "/id", "At most 64 characters.");
        }
        if (request.Command is null)
        {
            check.Add(ErrorCodes.MissingField, "/command", "'command' is required.");
            return check.Problem(context);
        }
        // CMD-001: only what the device's profile declares, with parameters its schema accepts.
        var declared = spec.Profiles.GetValueOrDefault(device.ProfileId)?.Commands ?? FrozenDictionary<string, CompiledCommand>.Empty;
        if (!declared.TryGetValue(request.Command, out var command))
        {
            return ProblemResults.Problem(context, ErrorCodes.CommandNotDeclared,
                declared.Count == 0 ? $"Profile {device.ProfileId} declares no commands." : $"Profile {device.ProfileId} declares {string.Join(", ", declared.Keys.Order(StringComparer.Ordinal))}.",
                [new(ErrorCodes.CommandNotDeclared, "/command", $"'{request.Command}' is not a command of profile {device.ProfileId}.")]);
        }
        var parameters = request.Parameters is { ValueKind: not JsonValueKind.Null } given ? given : EmptyObject;
        if (parameters.ValueKind != JsonValueKind.Object)
        {
            check.Add(ErrorCodes.WrongType, "/parameters", "'parameters' is an object.");
        }
        else if (command.CheckParameters(parameters, "/parameters") is { Count: > 0 } findings)
        {
            return ProblemResults.Problem(context, ErrorCodes.CommandInvalidParameters, $"{findings.Count} problem(s) in the parameters of {request.Command}.", findings);
        }
        var now = time.GetUtcNow();
        var expiresAt = request.ExpiresAt ?? now + options.Value.DefaultLifetime;
        if (expiresAt <= now || expiresAt > now + options.Value.MaxLifetime)
        {
            check.Add(ErrorCodes.InvalidValue, "/expiresAt", $"A time in the future, at most {options.Value.MaxLifetime} from now.");
        }
        if (request.AlertId is { } alertId
            && !await db.Alerts.AnyAsync(a => a.Id == alertId && a.OrganizationId == device.OrganizationId && a.DeviceId == device.DeviceId, context.RequestAborted))
        {
            check.Add(ErrorCodes.InvalidValue, "/alertId", $"No alert {alertId} of device '{device.DeviceId}'.");
        }
        if (check.Failed)
        {
            return check.Problem(context);
        }
        var adapter = await db.Adapters.AsNoTracking().FirstAsync(a => a.Id == device.AdapterId, context.RequestAborted);
        var sandbox = adapter.Status == AdapterStatus.Sandbox;
        if (sandbox && caller.OrganizationId != device.OrganizationId)
        {
            // CMD-002: a sandbox adapter's devices are drills of their own organization; nobody else's command reaches them.
            return ProblemResults.Problem(context, ErrorCodes.CommandSandbox, $"Device '{device.DeviceId}' is behind a sandbox adapter: only organization '{device.OrganizationId}' may command it.");
        }
        var text = parameters.GetRawText();
        if (request.Id is { } id && await db.DeviceCommands.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, context.RequestAborted) is { } existing)
        {
            // The same command sent again (a retry after a lost answer) is answered, not sent twice: a valve is not a webhook.
            return existing.OrganizationId == device.OrganizationId && existing.DeviceId == device.DeviceId && existing.Command == request.Command
                && JsonElement.DeepEquals(JsonSerializer.Deserialize<JsonElement>(existing.Parameters), parameters)
                ? TypedResults.Ok(CommandResponse.From(existing))
                : ProblemResults.Problem(context, ErrorCodes.CommandExists, $"A different command has the id '{id}'.");
        }
        var issued = new DeviceCommand
        {
            Id = request.Id ?? "cmd-" + Guid.CreateVersion7(now).ToString("N"),
            OrganizationId = device.OrganizationId,
            DeviceId = device.DeviceId,
            AdapterId = device.AdapterId,
            ProfileId = device.ProfileId,
            Sandbox = sandbox,
            Command = request.Command,
            Parameters = text,
            Status = CommandStatus.Pending,
            IssuedBy = caller.ClientId,
            IssuedByOrganization = caller.OrganizationId,
            AlertId = request.AlertId,
            CreatedAt = now,
            ExpiresAt = expiresAt.ToUnixTimeMilliseconds(),
            UpdatedAt = now,
            NextAttemptAt = now.ToUnixTimeMilliseconds(),
        };
        // The command and its first step commit together: a dispatcher that saw the command before its 'issued' step
        // would store 'sent' first.
        await using (var transaction = await db.Database.BeginTransactionAsync(context.RequestAborted))
        {
            db.DeviceCommands.Add(issued);
            await db.SaveChangesAsync(context.RequestAborted);
            db.DeviceCommandSteps.Add(new DeviceCommandStep { CommandKey = issued.Key, At = now, Step = "issued", Actor = caller.ClientId, Detail = request.AlertId is { } alert ? $"For alert {alert}." : null });
            db.Record(now, caller.ClientId, "command.issue", issued.Id,
                new { issued.OrganizationId, issued.DeviceId, issued.AdapterId, issued.Command, parameters, expiresAt, request.AlertId });
            await db.SaveChangesAsync(context.RequestAborted);
            await transaction.CommitAsync(context.RequestAborted);
        }
        metrics.Issued(issued.Command);
        dispatcher.Wake();
        return TypedResults.Created($"{Path}/{Uri.EscapeDataString(issued.Id)}", CommandResponse.From(issued));
    }

    private static async Task<Results<Ok<Page<CommandResponse>>, ProblemHttpResult>> ListAsync(
        string deviceId, HubDb db, HttpContext context, string? organizationId = null, string? status = null, int? limit = null, string? cursor = null)
    {
        var (device, problem) = await FindDeviceAsync(deviceId, organizationId, db, context);
        if (device is null)
        {
            return problem!;
        }
        var check = new RequestValidator();
        var wanted = status is null ? (CommandStatus?)null : WireNames.TryParse<CommandStatus>(status, out var parsed) ? parsed : null;
        if (status is not null && wanted is null)
        {
            check.Add(ErrorCodes.InvalidParameter, "status", "One of pending, sent, accepted, rejected, executed, failed, expired.");
        }
        if (!Cursors.TryDecodeId(cursor, long.MaxValue, out var before))
        {
            return ProblemResults.Problem(context, ErrorCodes.InvalidCursor);
        }
        if (check.Failed)
        {
            return check.ParameterProblem(context);
        }
        var caller = context.Caller();
        var take = Cursors.Limit(limit);
        var query = db.DeviceCommands.AsNoTracking()
            .Where(c => c.OrganizationId == device.OrganizationId && c.DeviceId == device.DeviceId && c.Key < before)
            // A sandbox adapter's commands stay in its organization, as its data does.
            .Where(c => !c.Sandbox || c.OrganizationId == caller.OrganizationId);
        if (wanted is { } only)
        {
            query = query.Where(c => c.Status == only);
        }
        var page = await query.OrderByDescending(c => c.Key).Take(take + 1).ToListAsync(context.RequestAborted);
        return TypedResults.Ok(new Page<CommandResponse>([.. page.Take(take).Select(c => CommandResponse.From(c))], page.Count > take ? Cursors.Encode(page[take - 1].Key) : null));
    }

    private static async Task<Results<Ok<CommandResponse>, ProblemHttpResult>> GetAsync(string commandId, HubDb db, HttpContext context)
    {
        var caller = context.Caller();
        var command = await db.DeviceCommands.AsNoTracking().FirstOrDefaultAsync(c => c.Id == commandId, context.RequestAborted);
        // CMD-006: the device's adapter, and with devices:command its organization, the issuer's, and the operator (not a sandbox drill).
        var visible = command is not null && (command.AdapterId == caller.ClientId
            || (caller.Scopes.Contains(Scopes.DevicesCommand) && (caller.OrganizationId == command.OrganizationId
                || (!command.Sandbox && (caller.OrganizationId == command.IssuedByOrganization || caller.IsOperator)))));
        if (!visible)
        {
            return NotFound(context, commandId);
        }
        var steps = await db.DeviceCommandSteps.AsNoTracking().Where(s => s.CommandKey == command!.Key).OrderBy(s => s.Id).ToListAsync(context.RequestAborted);
        return TypedResults.Ok(CommandResponse.From(command!, steps));
    }

    private static async Task<Results<Ok<CommandResponse>, ProblemHttpResult>> AnswerAsync(string commandId, AnswerRequest request, CommandLedger ledger, HttpContext context)
    {
        if (request.CommandId is { } named && named != commandId)
        {
            return new RequestValidator().Add(ErrorCodes.InvalidValue, "/commandId", "The command's id is the path's; leave 'commandId' out or repeat it.").Problem(context);
        }
        var outcome = await ledger.AnswerAsync(context.Caller().ClientId, null, commandId, request.Status, request.Detail, "http", context.RequestAborted);
        return outcome switch
        {
            { Refused: false } => TypedResults.Ok(CommandResponse.From(outcome.Command!)),
            { Code: ErrorCodes.InvalidValue } => new RequestValidator().Add(ErrorCodes.InvalidValue, request.Status is null || !CommandLedger.Answers.Contains(request.Status) ? "/status" : "/detail", outcome.Detail!).Problem(context),
            _ => ProblemResults.Problem(context, outcome.Code!, outcome.Detail),
        };
    }

    private static async Task<Results<Ok<CommandWebhookResponse>, ProblemHttpResult>> SetWebhookAsync(
        string adapterId, CommandWebhookRequest request, HubDb db, WebhookAddressPolicy addresses, WebhookSecrets secrets, TimeProvider time, HttpContext context)
    {
        var adapter = await db.Adapters.AsNoTracking().Managed(context).FirstOrDefaultAsync(a => a.Id == adapterId, context.RequestAborted);
        if (adapter is null)
        {
            return AdapterNotFound(context, adapterId);
        }
        if (request.Url is not { Length: <= 2048 } text || !Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            return new RequestValidator().Add(request.Url is null ? ErrorCodes.MissingField : ErrorCodes.InvalidValue, "/url", "An absolute http(s) URL of at most 2048 characters.").Problem(context);
        }
        // CMD-003: the webhooks' address rules (SSRF), with the subscriptions' allow-list.
        if (await addresses.RefuseAsync(url, context.RequestAborted) is { } refusal)
        {
            return ProblemResults.Problem(context, ErrorCodes.CommandWebhookRefused, refusal);
        }
        var now = time.GetUtcNow();
        var secret = WebhookSecrets.Create();
        var protectedSecrets = secrets.Protect([new WebhookSecret(secret, null)]);
        var webhook = await db.CommandWebhooks.FirstOrDefaultAsync(w => w.AdapterId == adapterId, context.RequestAborted);
        if (webhook is null)
        {
            webhook = new CommandWebhook { AdapterId = adapterId, Url = url.AbsoluteUri, ProtectedSecrets = protectedSecrets, CreatedAt = now, UpdatedAt = now };
            db.CommandWebhooks.Add(webhook);
        }
        else
        {
            webhook.Url = url.AbsoluteUri;
            webhook.ProtectedSecrets = protectedSecrets;
            webhook.UpdatedAt = now;
        }
        db.Record(now, context.Caller().ClientId, "adapter.command-webhook", adapterId, new { url = webhook.Url });
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.Ok(new CommandWebhookResponse(adapterId, webhook.Url, secret, webhook.CreatedAt, webhook.UpdatedAt));
    }

    private static async Task<Results<Ok<CommandWebhookResponse>, ProblemHttpResult>> GetWebhookAsync(string adapterId, HubDb db, HttpContext context)
    {
        if (!await db.Adapters.AsNoTracking().Managed(context).AnyAsync(a => a.Id == adapterId, context.RequestAborted))
        {
            return AdapterNotFound(context, adapterId);
        }
        return await db.CommandWebhooks.AsNoTracking().FirstOrDefaultAsync(w => w.AdapterId == adapterId, context.RequestAborted) is { } webhook
            ? TypedResults.Ok(new CommandWebhookResponse(adapterId, webhook.Url, null, webhook.CreatedAt, webhook.UpdatedAt))
            : ProblemResults.Problem(context, ErrorCodes.NotFound, $"Adapter '{adapterId}' has no command webhook: its commands go over MQTT.");
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteWebhookAsync(string adapterId, HubDb db, TimeProvider time, HttpContext context)
    {
        if (!await db.Adapters.AsNoTracking().Managed(context).AnyAsync(a => a.Id == adapterId, context.RequestAborted))
        {
            return AdapterNotFound(context, adapterId);
        }
        var removed = await db.CommandWebhooks.Where(w => w.AdapterId == adapterId).ExecuteDeleteAsync(context.RequestAborted);
        if (removed > 0)
        {
            db.Record(time.GetUtcNow(), context.Caller().ClientId, "adapter.command-webhook-delete", adapterId);
            await db.SaveChangesAsync(context.RequestAborted);
        }
        return TypedResults.NoContent();
    }

    /// <summary>
    /// The device a caller may command (CMD-002): in its own organization; the operator names the organization, or
    /// leaves it out when only one organization has a device of that id. Anyone else's device is not found.
    /// </summary>
    private static async Task<(Device? Device, ProblemHttpResult? Problem)> FindDeviceAsync(string deviceId, string? organizationId, HubDb db, HttpContext context)
    {
        var caller = context.Caller();
        var devices = db.Devices.AsNoTracking().Where(d => d.DeviceId == deviceId);
        if (!caller.IsOperator)
        {
            organizationId ??= caller.OrganizationId;
            if (organizationId != caller.OrganizationId)
            {
                return (null, DeviceNotFound(context, deviceId));
            }
        }
        var found = await (organizationId is null ? devices : devices.Where(d => d.OrganizationId == organizationId)).OrderBy(d => d.OrganizationId).Take(2).ToListAsync(context.RequestAborted);
        return found switch
        {
            [var device] => (device, null),
            [] => (null, DeviceNotFound(context, deviceId)),
            _ => (null, new RequestValidator().Add(ErrorCodes.InvalidParameter, "organizationId", $"Several organizations have a device '{deviceId}': name one with organizationId.").ParameterProblem(context)),
        };
    }

    private static ProblemHttpResult DeviceNotFound(HttpContext context, string deviceId) =>
        ProblemResults.Problem(context, ErrorCodes.DeviceNotFound, $"No device '{deviceId}' you may command.");

    private static ProblemHttpResult AdapterNotFound(HttpContext context, string adapterId) =>
        ProblemResults.Problem(context, ErrorCodes.AdapterNotFound, $"No adapter '{adapterId}'.");

    private static ProblemHttpResult NotFound(HttpContext context, string commandId) =>
        ProblemResults.Problem(context, ErrorCodes.CommandNotFound, $"No command '{commandId}' you may read.");

}
