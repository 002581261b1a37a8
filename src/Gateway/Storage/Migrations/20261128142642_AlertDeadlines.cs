using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IntegrationHub.Gateway.Storage.Migrations
{
    /// <inheritdoc />
    public partial class AlertDeadlines : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "DeadlineFrom",
                table: "alerts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<int>(
                name: "Escalation",
                table: "alerts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            // Deadlines are new: alerts already open get a full deadline from the upgrade, rather than all escalating at once.
            migrationBuilder.Sql("UPDATE alerts SET DeadlineFrom = MAX(RaisedAt, CAST(strftime('%s', 'now') AS INTEGER) * 1000);");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "DeadlineFrom",
                table: "alerts");

            migrationBuilder.DropColumn(
                name: "Escalation",
                table: "alerts");
        }
    }
}
