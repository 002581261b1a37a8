using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IntegrationHub.Gateway.Storage.Migrations
{
    /// <inheritdoc />
    public partial class SubscriptionLaneRewinds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "Rewinds",
                table: "subscription_lanes",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Rewinds",
                table: "subscription_lanes");
        }
    }
}
