using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IntegrationHub.Gateway.Storage.Migrations
{
    /// <inheritdoc />
    public partial class Warnings : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "warnings",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Sender = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Identifier = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Sent = table.Column<long>(type: "INTEGER", nullable: false),
                    MsgType = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    Event = table.Column<string>(type: "TEXT", nullable: false),
                    Domain = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Level = table.Column<string>(type: "TEXT", maxLength: 8, nullable: true),
                    Severity = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Headline = table.Column<string>(type: "TEXT", nullable: true),
                    Expires = table.Column<long>(type: "INTEGER", nullable: true),
                    References = table.Column<string>(type: "TEXT", nullable: true),
                    ThreadSender = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    ThreadIdentifier = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Superseded = table.Column<bool>(type: "INTEGER", nullable: false),
                    OrganizationId = table.Column<string>(type: "TEXT", nullable: false),
                    AdapterId = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Sandbox = table.Column<bool>(type: "INTEGER", nullable: false),
                    ReceivedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Document = table.Column<string>(type: "TEXT", nullable: false),
                    Projection = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_warnings", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "warning_areas",
                columns: table => new
                {
                    WarningId = table.Column<long>(type: "INTEGER", nullable: false),
                    Code = table.Column<string>(type: "TEXT", maxLength: 6, nullable: false),
                    Position = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_warning_areas", x => new { x.WarningId, x.Code });
                    table.ForeignKey(
                        name: "FK_warning_areas_warnings_WarningId",
                        column: x => x.WarningId,
                        principalTable: "warnings",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_warning_areas_Code",
                table: "warning_areas",
                column: "Code");

            migrationBuilder.CreateIndex(
                name: "IX_warnings_Sender_Identifier",
                table: "warnings",
                columns: new[] { "Sender", "Identifier" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_warnings_ThreadSender_ThreadIdentifier",
                table: "warnings",
                columns: new[] { "ThreadSender", "ThreadIdentifier" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "warning_areas");

            migrationBuilder.DropTable(
                name: "warnings");
        }
    }
}
