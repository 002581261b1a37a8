using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IntegrationHub.Gateway.Storage.Migrations
{
    /// <inheritdoc />
    public partial class Certifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "certifications",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    OrganizationId = table.Column<string>(type: "TEXT", nullable: false),
                    AdapterId = table.Column<string>(type: "TEXT", nullable: false),
                    Profile = table.Column<string>(type: "TEXT", maxLength: 96, nullable: false),
                    CoreClass = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Instructions = table.Column<string>(type: "TEXT", nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    OpenedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: false),
                    EvaluatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    PassedClasses = table.Column<string>(type: "TEXT", nullable: true),
                    SignedReport = table.Column<string>(type: "TEXT", nullable: true),
                    ArrivalCount = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_certifications", x => x.Id);
                    table.ForeignKey(
                        name: "FK_certifications_adapters_AdapterId",
                        column: x => x.AdapterId,
                        principalTable: "adapters",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_certifications_organizations_OrganizationId",
                        column: x => x.OrganizationId,
                        principalTable: "organizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "certification_arrivals",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    CertificationId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Transport = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    Outcome = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    MessageId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    DeviceId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    Time = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    ReceivedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: false),
                    Findings = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_certification_arrivals", x => x.Id);
                    table.ForeignKey(
                        name: "FK_certification_arrivals_certifications_CertificationId",
                        column: x => x.CertificationId,
                        principalTable: "certifications",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_certification_arrivals_CertificationId",
                table: "certification_arrivals",
                column: "CertificationId");

            migrationBuilder.CreateIndex(
                name: "IX_certifications_AdapterId",
                table: "certifications",
                column: "AdapterId");

            migrationBuilder.CreateIndex(
                name: "IX_certifications_OrganizationId_AdapterId",
                table: "certifications",
                columns: new[] { "OrganizationId", "AdapterId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "certification_arrivals");

            migrationBuilder.DropTable(
                name: "certifications");
        }
    }
}
