using MQTTnet.Protocol;

namespace IntegrationHub.Gateway.Mqtt;

/// <summary>
/// What the broker, embedded or external, does with an adapter's answer to a command, published to
/// <c>hub/v1/commands/{adapterId}/{deviceId}/replies</c> once the broker has checked that the publisher may use that
/// topic. The commands feature implements it; the answer becomes the PUBACK's reason.
/// </summary>
internal interface IMqttCommandReplies
{
    Task<MqttCommandReplyOutcome> ReplyAsync(string adapterId, string deviceId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);
}

/// <summary>The PUBACK for a reply: Success, or a refusal whose reason string is the error code.</summary>
internal readonly record struct MqttCommandReplyOutcome(MqttPubAckReasonCode ReasonCode, string? ReasonString);
