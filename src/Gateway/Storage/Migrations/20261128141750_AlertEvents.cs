using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IntegrationHub.Gateway.Storage.Migrations
{
    /// <inheritdoc />
    public partial class AlertEvents : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "Cleared",
                table: "alerts",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "RuleKind",
                table: "alerts",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Causes",
                table: "alert_events",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "Cleared",
                table: "alert_events",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "PreviousLevel",
                table: "alert_events",
                type: "TEXT",
                maxLength: 8,
                nullable: true);

            // Alerts raised before this migration: their rule's kind, by rule id (every rule id of the spec names one
            // kind), and "cleared" becomes a mark beside the lifecycle state instead of a state of its own.
            migrationBuilder.Sql("""
                UPDATE alerts SET RuleKind = CASE
                    WHEN RuleId IN ('ch4-fast-rise', 'crack-closing', 'crack-opening', 'deflection-creep', 'displacement-rate', 'pressure-burst', 'settlement-rate', 'supply-pressure-drop') THEN 'rate'
                    WHEN RuleId IN ('counting-fault', 'detector-alarm', 'device-failure', 'device-fault', 'door-held-open', 'elevator-fault', 'fire', 'fire-alarm', 'instrument-fault', 'intrusion', 'jt808-alarm-flags', 'limiter', 'link-fault', 'logger-fault', 'meter-fault', 'overflow-float', 'power-loss', 'sensor-fault', 'smoke', 'station-fault', 'terminal-fault', 'valve-state') THEN 'state'
                    WHEN RuleId IN ('network-loss', 'offline') THEN 'absence'
                    WHEN RuleId IN ('ch4-stuck', 'gas-stuck', 'noise-stuck', 'pressure-stuck', 'strain-stuck') THEN 'quality'
                    ELSE 'threshold' END;
                UPDATE alerts SET Cleared = 1, State = 'Raised' WHERE State = 'Cleared';
                UPDATE alert_events SET Cleared = 1, State = 'Raised' WHERE State = 'Cleared';
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Cleared",
                table: "alerts");

            migrationBuilder.DropColumn(
                name: "RuleKind",
                table: "alerts");

            migrationBuilder.DropColumn(
                name: "Causes",
                table: "alert_events");

            migrationBuilder.DropColumn(
                name: "Cleared",
                table: "alert_events");

            migrationBuilder.DropColumn(
                name: "PreviousLevel",
                table: "alert_events");
        }
    }
}
