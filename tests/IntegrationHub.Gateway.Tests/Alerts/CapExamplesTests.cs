using System.Xml.Linq;
using IntegrationHub.Conformance.Profiles;
using IntegrationHub.Conformance.Spec;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Alerts.Cap;

namespace IntegrationHub.Gateway.Tests.Alerts;

/// <summary>
/// The spec's examples of the hub's own CAP (specs/examples/cap/valid/hub-*.xml) are what the hub writes: one methane
/// alert in 市南区, raised red, lowered to orange, then closed while still orange.
/// </summary>
public sealed class CapExamplesTests
{
    private static readonly SpecCatalog Spec = SpecCatalog.LoadEmbedded();
    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);
    private static readonly AlertOptions Options = new() { Sender = "integrationhub.qingdao", SenderName = "青岛市城市安全风险综合监测预警中心" };
    private static readonly DateTimeOffset Raised = new(2026, 11, 28, 10, 20, 5, Beijing);

    private static Alert Alert(AlertLevel level, double value) => new()
    {
        Identifier = "37020000000000_20261128102005_0",
        OrganizationId = "qingdao-gas",
        ResponsibleOrganizationId = "qingdao-gas",
        DeviceKey = 1,
        DeviceId = "ch4-shinan-0001",
        ProfileId = "gas.underground-methane",
        Domain = "gas",
        District = "370202",
        Sandbox = false,
        Lon = 120.3826,
        Lat = 36.0671,
        RuleId = "ch4-level",
        RuleTitle = "Methane concentration",
        RuleKind = "threshold",
        Level = level,
        HighestLevel = AlertLevel.Red,
        State = AlertState.Raised,
        Metric = "ch4",
        Value = value,
        Unit = "%{LEL}",
        RaisedAt = Raised.ToUnixTimeMilliseconds(),
        ObservedAt = Raised.ToUnixTimeMilliseconds(),
        UpdatedAt = Raised.ToUnixTimeMilliseconds(),
        DeadlineFrom = Raised.ToUnixTimeMilliseconds(),
    };

    private static AlertEvent Step(string kind, DateTimeOffset at, AlertLevel level, string identifier, double? value = null, AlertLevel? previous = null, string? causes = null) => new()
    {
        AlertId = 1,
        At = at.ToUnixTimeMilliseconds(),
        Kind = kind,
        State = kind == "closed" ? AlertState.Closed : AlertState.Raised,
        Level = level,
        PreviousLevel = previous,
        Actor = kind == "closed" ? "qingdao-gas-ops" : AlertBook.Engine,
        MessageRecordId = value is null ? null : 7,
        Value = value,
        CapIdentifier = identifier,
        Causes = causes,
    };

    public static TheoryData<string, string> Examples => new()
    {
        { "hub-methane-red.xml", "raised" },
        { "hub-methane-update.xml", "deescalated" },
        { "hub-methane-closed-cancel.xml", "closed" },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_IsWhatTheHubWrites(string file, string kind)
    {
        var (alert, step) = kind switch
        {
            "raised" => (Alert(AlertLevel.Red, 55), Step("raised", Raised, AlertLevel.Red, "37020000000000_20261128102005_0", 55, causes: """[{"level":"red","threshold":50}]""")),
            "deescalated" => (Alert(AlertLevel.Orange, 30), Step("deescalated", new(2026, 11, 28, 11, 5, 2, Beijing), AlertLevel.Orange, "37020000000000_20261128110502_0", 30, AlertLevel.Red)),
            _ => (Alert(AlertLevel.Orange, 30), Step("closed", new(2026, 11, 28, 12, 0, 0, Beijing), AlertLevel.Orange, "37020000000000_20261128120000_0")),
        };

        var written = CapDocument.Render(alert, step, Raised, Options, Spec);

        var example = XDocument.Load(Path.Combine(Repository.Root, "specs", "examples", "cap", "valid", file));
        Assert.Equal(example.Root!.ToString(), written.Root!.ToString());
    }
}
