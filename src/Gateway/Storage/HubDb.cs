using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Certification;
using IntegrationHub.Gateway.Cluster;
using IntegrationHub.Gateway.Commands;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.ClosedLoop;
using IntegrationHub.Gateway.Mqtt;
using IntegrationHub.Gateway.Notifications;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Subscriptions;
using IntegrationHub.Gateway.Telemetry;
using IntegrationHub.Gateway.Telemetry.Aggregates;
using IntegrationHub.Gateway.Upstreams;
using IntegrationHub.Gateway.Users;
using IntegrationHub.Gateway.Warnings;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Gateway.Storage;

/// <summary>
/// The hub's one database. Features query it directly; each feature's table mapping lives beside the feature.
/// The model is the same on SQLite and PostgreSQL (no provider-specific types; raw SQL quotes its identifiers); what
/// only PostgreSQL has (its index kinds, its collations) is added in <see cref="PostgreSqlModel"/>.
/// </summary>
public sealed class HubDb(DbContextOptions<HubDb> options) : DbContext(options)
{
    internal DbSet<Organization> Organizations => Set<Organization>();
    internal DbSet<Adapter> Adapters => Set<Adapter>();
    internal DbSet<Device> Devices => Set<Device>();
    internal DbSet<Grant> Grants => Set<Grant>();
    internal DbSet<AuditEntry> Audit => Set<AuditEntry>();
    internal DbSet<MessageRecord> Messages => Set<MessageRecord>();
    internal DbSet<Observation> Observations => Set<Observation>();
    internal DbSet<LatestValue> LatestValues => Set<LatestValue>();
    internal DbSet<TelemetryRollup> Rollups => Set<TelemetryRollup>();
    internal DbSet<QuarantineEntry> Quarantine => Set<QuarantineEntry>();
    internal DbSet<Alert> Alerts => Set<Alert>();
    internal DbSet<AlertEvent> AlertEvents => Set<AlertEvent>();
    internal DbSet<RuleStateRecord> RuleStates => Set<RuleStateRecord>();
    internal DbSet<ConsumerCursor> Cursors => Set<ConsumerCursor>();
    internal DbSet<MaintenanceWindow> Maintenance => Set<MaintenanceWindow>();
    internal DbSet<OutboxEvent> Outbox => Set<OutboxEvent>();
    internal DbSet<ParameterOverride> ParameterOverrides => Set<ParameterOverride>();
    internal DbSet<Subscription> Subscriptions => Set<Subscription>();
    internal DbSet<SubscriptionLane> SubscriptionLanes => Set<SubscriptionLane>();
    internal DbSet<DeadLetter> DeadLetters => Set<DeadLetter>();
    internal DbSet<User> Users => Set<User>();
    internal DbSet<UserSession> UserSessions => Set<UserSession>();
    internal DbSet<Warning> Warnings => Set<Warning>();
    internal DbSet<CertificationSession> Certifications => Set<CertificationSession>();
    internal DbSet<CertificationArrival> CertificationArrivals => Set<CertificationArrival>();
    internal DbSet<MqttDeviceCredential> MqttDeviceCredentials => Set<MqttDeviceCredential>();
    internal DbSet<UnitRoute> Routes => Set<UnitRoute>();
    internal DbSet<AlertUnit> AlertUnits => Set<AlertUnit>();
    internal DbSet<SupervisorLine> Supervisors => Set<SupervisorLine>();
    internal DbSet<AlertEscalation> AlertEscalations => Set<AlertEscalation>();
    internal DbSet<AlertFeedback> AlertFeedback => Set<AlertFeedback>();
    internal DbSet<AlertAttachment> AlertAttachments => Set<AlertAttachment>();
    internal DbSet<AttachmentContent> AttachmentContents => Set<AttachmentContent>();
    internal DbSet<AlertReview> AlertReviews => Set<AlertReview>();
    internal DbSet<DutyShift> DutyShifts => Set<DutyShift>();
    internal DbSet<Handover> Handovers => Set<Handover>();
    internal DbSet<NotificationRobot> NotificationRobots => Set<NotificationRobot>();
    internal DbSet<NotificationPolicy> NotificationPolicies => Set<NotificationPolicy>();
    internal DbSet<NotificationPolicyRobot> NotificationPolicyRobots => Set<NotificationPolicyRobot>();
    internal DbSet<Notification> Notifications => Set<Notification>();
    internal DbSet<NotificationAttempt> NotificationAttempts => Set<NotificationAttempt>();
    internal DbSet<UpstreamSystem> UpstreamSystems => Set<UpstreamSystem>();
    internal DbSet<UpstreamRoute> UpstreamRoutes => Set<UpstreamRoute>();
    internal DbSet<UpstreamCall> UpstreamCalls => Set<UpstreamCall>();
    internal DbSet<DeviceCommand> DeviceCommands => Set<DeviceCommand>();
    internal DbSet<DeviceCommandStep> DeviceCommandSteps => Set<DeviceCommandStep>();
    internal DbSet<CommandWebhook> CommandWebhooks => Set<CommandWebhook>();
    internal DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcInstant>();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(HubDb).Assembly);
        modelBuilder.UseOpenIddict();
        if (Database.IsNpgsql())
        {
            PostgreSqlModel.Apply(modelBuilder);
        }
    }
}
