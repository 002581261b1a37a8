using System.Text.Json;
using System.Text.Json.Serialization;
using IntegrationHub.Gateway.Mqtt;

namespace IntegrationHub.Gateway.Commands;

/// <summary>
/// A command as it travels to the adapter (schemas/device-command.schema.json), on MQTT and in a webhook's body alike:
/// the id it de-duplicates by, the command and its parameters, the device, and the expiry it must check (CMD-004).
/// </summary>
internal sealed record CommandMessage(
    string Id, string Command, JsonElement Parameters, string OrganizationId, string AdapterId, string DeviceId, string Profile,
    DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, string ReplyTo)
{
    public static CommandMessage Of(DeviceCommand command, string replyTo)
    {
        using var parameters = JsonDocument.Parse(command.Parameters);
        return new(command.Id, command.Command, parameters.RootElement.Clone(), command.OrganizationId, command.AdapterId, command.DeviceId, command.ProfileId,
            command.CreatedAt, DateTimeOffset.FromUnixTimeMilliseconds(command.ExpiresAt), replyTo);
    }

    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, CommandJsonContext.Default.CommandMessage);

    /// <summary>Where an MQTT adapter answers: its reply topic for the device.</summary>
    public static string MqttReplyTo(DeviceCommand command) => MqttTopics.CommandReplies(command.AdapterId, command.DeviceId);
}

/// <summary>
/// An adapter's answer (schemas/command-reply.schema.json): over HTTP the body of <c>POST /v1/commands/{id}/status</c>
/// (<c>commandId</c> may be left out there), on MQTT a publish to the reply topic.
/// </summary>
internal sealed record CommandReply(string? CommandId, string? Status, string? Detail)
{
    public const int MaxDetail = 500;

    /// <summary>Reads an answer published on MQTT; null when it is not a JSON object of that shape.</summary>
    public static CommandReply? Parse(ReadOnlyMemory<byte> payload)
    {
        try
        {
            var reply = JsonSerializer.Deserialize(payload.Span, CommandJsonContext.Default.CommandReply);
            return reply;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CommandMessage))]
[JsonSerializable(typeof(CommandReply))]
internal sealed partial class CommandJsonContext : JsonSerializerContext;
