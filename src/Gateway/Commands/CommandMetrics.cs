using System.Diagnostics.Metrics;

namespace IntegrationHub.Gateway.Commands;

/// <summary>Commands issued, delivered, answered, expired and refused, by command, channel and status.</summary>
internal sealed class CommandMetrics
{
    public const string MeterName = "IntegrationHub.Commands";

    private readonly Counter<long> _issued;
    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _answers;
    private readonly Counter<long> _expired;
    private readonly Counter<long> _refused;

    public CommandMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _issued = meter.CreateCounter<long>("ihub.commands.issued", "{command}", "Commands accepted by the hub for delivery, by command.");
        _deliveries = meter.CreateCounter<long>("ihub.commands.deliveries", "{delivery}", "Attempts to deliver a command to its adapter, by command, channel and result (sent, failed).");
        _answers = meter.CreateCounter<long>("ihub.commands.answers", "{answer}", "Adapters' answers recorded, by command, status and channel.");
        _expired = meter.CreateCounter<long>("ihub.commands.expired", "{command}", "Commands that expired before an adapter took them, by command.");
        _refused = meter.CreateCounter<long>("ihub.commands.refused", "{answer}", "Adapters' answers the hub refused, by channel and error code.");
    }

    public void Issued(string command) => _issued.Add(1, new KeyValuePair<string, object?>("command", command));

    public void Delivery(string command, string channel, bool sent) =>
        _deliveries.Add(1, new("command", command), new("channel", channel), new("result", sent ? "sent" : "failed"));

    public void Answered(string command, string status, string channel) => _answers.Add(1, new("command", command), new("status", status), new("channel", channel));

    public void Expired(string command) => _expired.Add(1, new KeyValuePair<string, object?>("command", command));

    public void Refused(string channel, string code) => _refused.Add(1, new("channel", channel), new("code", code));
}
