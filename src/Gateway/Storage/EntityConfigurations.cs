using System.Text.Json;
using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Events;
using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.Telemetry;
using IntegrationHub.Gateway.Warnings;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace IntegrationHub.Gateway.Storage;

internal sealed class OrganizationConfiguration : IEntityTypeConfiguration<Organization>
{
    public void Configure(EntityTypeBuilder<Organization> entity)
    {
        entity.ToTable("organizations");
        entity.Property(o => o.Id).HasMaxLength(64);
        entity.Property(o => o.Name).HasMaxLength(200);
        entity.Property(o => o.Kind).HasConversion<string>().HasMaxLength(16);
        entity.Property(o => o.AreaCode).HasMaxLength(6);
    }
}

internal sealed class AdapterConfiguration : IEntityTypeConfiguration<Adapter>
{
    public void Configure(EntityTypeBuilder<Adapter> entity)
    {
        entity.ToTable("adapters");
        entity.Property(a => a.Id).HasMaxLength(100);
        entity.Property(a => a.Name).HasMaxLength(200);
        entity.Property(a => a.Status).HasConversion<string>().HasMaxLength(16);
        entity.Property(a => a.StatusBeforeSuspension).HasConversion<string>().HasMaxLength(16);
        entity.Property(a => a.AllowedProfiles).HasConversion(JsonColumn.Converter<List<string>?>(), JsonColumn.Comparer<List<string>?>());
        entity.Property(a => a.Scopes).HasConversion(JsonColumn.Converter<List<string>>(), JsonColumn.Comparer<List<string>>());
        entity.Property(a => a.SecurityStamp).HasMaxLength(64);
        entity.HasOne<Organization>().WithMany().HasForeignKey(a => a.OrganizationId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class DeviceConfiguration : IEntityTypeConfiguration<Device>
{
    public void Configure(EntityTypeBuilder<Device> entity)
    {
        entity.ToTable("devices");
        entity.HasKey(d => d.Key);
        entity.Property(d => d.DeviceId).HasMaxLength(128);
        entity.Property(d => d.ProfileId).HasMaxLength(96);
        entity.Property(d => d.District).HasMaxLength(6);
        entity.Property(d => d.Crs).HasMaxLength(16);
        entity.Property(d => d.Group).HasMaxLength(64);
        entity.Property(d => d.Parameters).HasConversion(JsonColumn.Converter<Dictionary<string, double>>(), JsonColumn.Comparer<Dictionary<string, double>>());
        entity.HasIndex(d => new { d.OrganizationId, d.DeviceId }).IsUnique();
        entity.HasIndex(d => d.AdapterId);
        entity.HasOne<Organization>().WithMany().HasForeignKey(d => d.OrganizationId).OnDelete(DeleteBehavior.Restrict);
        entity.HasOne<Adapter>().WithMany().HasForeignKey(d => d.AdapterId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class GrantConfiguration : IEntityTypeConfiguration<Grant>
{
    public void Configure(EntityTypeBuilder<Grant> entity)
    {
        entity.ToTable("grants");
        entity.Property(g => g.Domain).HasMaxLength(32);
        entity.Property(g => g.District).HasMaxLength(6);
        entity.HasIndex(g => g.GranteeOrganizationId);
        entity.HasOne<Organization>().WithMany().HasForeignKey(g => g.GranteeOrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> entity)
    {
        entity.ToTable("audit");
        entity.Property(a => a.Action).HasMaxLength(64);
        entity.Property(a => a.Target).HasMaxLength(200);
    }
}

internal sealed class MessageRecordConfiguration : IEntityTypeConfiguration<MessageRecord>
{
    public void Configure(EntityTypeBuilder<MessageRecord> entity)
    {
        entity.ToTable("messages");
        entity.HasIndex(m => new { m.AdapterId, m.MessageId }).IsUnique();
    }
}

internal sealed class ObservationConfiguration : IEntityTypeConfiguration<Observation>
{
    public void Configure(EntityTypeBuilder<Observation> entity)
    {
        entity.ToTable("observations");
        entity.HasIndex(o => new { o.DeviceKey, o.Metric, o.ObservedAt });
        entity.HasIndex(o => new { o.ObservedAt, o.Id });
        // Retention deletes a profile's rows past its age, reading no row another profile's longer retention keeps.
        entity.HasIndex(o => new { o.ProfileId, o.ObservedAt });
        // The alert engine's catch-up and an alert's detail read a message's observations: without this each catch-up
        // batch scanned the whole table (a second per 5,000 messages at two million rows). Message ids only grow, so
        // ingest appends to its right edge.
        entity.HasIndex(o => o.MessageRecordId);
    }
}

internal sealed class LatestValueConfiguration : IEntityTypeConfiguration<LatestValue>
{
    public void Configure(EntityTypeBuilder<LatestValue> entity)
    {
        entity.ToTable("latest_values");
        entity.HasKey(l => new { l.DeviceKey, l.Metric });
        entity.HasIndex(l => l.OrganizationId);
    }
}

internal sealed class QuarantineEntryConfiguration : IEntityTypeConfiguration<QuarantineEntry>
{
    public void Configure(EntityTypeBuilder<QuarantineEntry> entity)
    {
        entity.ToTable("quarantine");
        entity.HasIndex(q => new { q.AdapterId, q.Id });
    }
}

internal sealed class AlertConfiguration : IEntityTypeConfiguration<Alert>
{
    public void Configure(EntityTypeBuilder<Alert> entity)
    {
        entity.ToTable("alerts");
        entity.Property(a => a.Identifier).HasMaxLength(31);
        entity.HasIndex(a => a.Identifier).IsUnique();
        entity.Property(a => a.RuleKind).HasMaxLength(16);
        entity.Property(a => a.Level).HasConversion<string>().HasMaxLength(8);
        entity.Property(a => a.HighestLevel).HasConversion<string>().HasMaxLength(8);
        entity.Property(a => a.State).HasConversion<string>().HasMaxLength(16);
        entity.HasIndex(a => a.OpenKey).IsUnique();
        entity.HasIndex(a => new { a.OrganizationId, a.Id });
        entity.HasIndex(a => new { a.ResponsibleOrganizationId, a.Id });
        entity.HasIndex(a => new { a.DeviceKey, a.RuleId });
        entity.HasIndex(a => a.ObservedAt);
    }
}

internal sealed class AlertEventConfiguration : IEntityTypeConfiguration<AlertEvent>
{
    public void Configure(EntityTypeBuilder<AlertEvent> entity)
    {
        entity.ToTable("alert_events");
        entity.Property(e => e.Kind).HasMaxLength(32);
        entity.Property(e => e.Level).HasConversion<string>().HasMaxLength(8);
        entity.Property(e => e.PreviousLevel).HasConversion<string>().HasMaxLength(8);
        entity.Property(e => e.State).HasConversion<string>().HasMaxLength(16);
        entity.HasOne(e => e.Alert).WithMany().HasForeignKey(e => e.AlertId).OnDelete(DeleteBehavior.Cascade);
        entity.HasIndex(e => e.CapIdentifier).IsUnique();
        // Telemetry retention keeps the observations an alert's steps cite (TelemetryRetention).
        entity.HasIndex(e => e.MessageRecordId);
    }
}

internal sealed class RuleStateConfiguration : IEntityTypeConfiguration<RuleStateRecord>
{
    public void Configure(EntityTypeBuilder<RuleStateRecord> entity)
    {
        entity.ToTable("rule_states");
        entity.HasKey(r => new { r.DeviceKey, r.RuleId });
    }
}

internal sealed class ConsumerCursorConfiguration : IEntityTypeConfiguration<ConsumerCursor>
{
    public void Configure(EntityTypeBuilder<ConsumerCursor> entity)
    {
        entity.ToTable("consumer_cursors");
        entity.HasKey(c => c.Name);
    }
}

internal sealed class MaintenanceWindowConfiguration : IEntityTypeConfiguration<MaintenanceWindow>
{
    public void Configure(EntityTypeBuilder<MaintenanceWindow> entity)
    {
        entity.ToTable("maintenance_windows");
        entity.HasIndex(m => new { m.DeviceKey, m.Until });
    }
}

internal sealed class OutboxEventConfiguration : IEntityTypeConfiguration<OutboxEvent>
{
    public void Configure(EntityTypeBuilder<OutboxEvent> entity)
    {
        entity.ToTable("outbox");
        entity.Property(e => e.Type).HasMaxLength(100);
        entity.Property(e => e.Profile).HasMaxLength(96);
        entity.Property(e => e.Level).HasMaxLength(8);
        entity.HasIndex(e => e.Time);
    }
}

internal sealed class ParameterOverrideConfiguration : IEntityTypeConfiguration<ParameterOverride>
{
    public void Configure(EntityTypeBuilder<ParameterOverride> entity)
    {
        entity.ToTable("parameter_overrides");
        entity.Property(o => o.Scope).HasConversion<string>().HasMaxLength(16);
        entity.Property(o => o.Key).HasMaxLength(64);
        entity.Property(o => o.ProfileId).HasMaxLength(96);
        entity.Property(o => o.Parameters).HasConversion(JsonColumn.Converter<Dictionary<string, double>>(), JsonColumn.Comparer<Dictionary<string, double>>());
        entity.HasIndex(o => new { o.Scope, o.OrganizationId, o.Key, o.ProfileId }).IsUnique();
    }
}

internal sealed class WarningConfiguration : IEntityTypeConfiguration<Warning>
{
    public void Configure(EntityTypeBuilder<Warning> entity)
    {
        entity.ToTable("warnings");
        entity.Property(w => w.Sender).HasMaxLength(Warning.MaxKeyLength);
        entity.Property(w => w.Identifier).HasMaxLength(Warning.MaxKeyLength);
        entity.Property(w => w.ThreadSender).HasMaxLength(Warning.MaxKeyLength);
        entity.Property(w => w.ThreadIdentifier).HasMaxLength(Warning.MaxKeyLength);
        entity.Property(w => w.MsgType).HasMaxLength(8);
        entity.Property(w => w.Status).HasMaxLength(8);
        entity.Property(w => w.Domain).HasMaxLength(32);
        entity.Property(w => w.Severity).HasMaxLength(16);
        entity.Property(w => w.Level).HasConversion<string>().HasMaxLength(8);
        entity.Property(w => w.AdapterId).HasMaxLength(100);
        entity.HasIndex(w => new { w.Sender, w.Identifier }).IsUnique();
        entity.HasIndex(w => new { w.ThreadSender, w.ThreadIdentifier });
        // The alert engine reads the warnings that held in its look-back (WarningContexts).
        entity.HasIndex(w => w.Until);
        entity.HasMany(w => w.Areas).WithOne().HasForeignKey(a => a.WarningId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class WarningAreaConfiguration : IEntityTypeConfiguration<WarningArea>
{
    public void Configure(EntityTypeBuilder<WarningArea> entity)
    {
        entity.ToTable("warning_areas");
        entity.HasKey(a => new { a.WarningId, a.Code });
        entity.Property(a => a.Code).HasMaxLength(6);
        entity.HasIndex(a => a.Code);
    }
}

/// <summary>Small collections stored as JSON text: portable across providers and never queried inside.</summary>
internal static class JsonColumn
{
    public static ValueConverter<T, string> Converter<T>() => new(
        value => JsonSerializer.Serialize(value, JsonSerializerOptions.Default),
        text => JsonSerializer.Deserialize<T>(text, JsonSerializerOptions.Default)!);

    public static ValueComparer<T> Comparer<T>() => new(
        (a, b) => JsonSerializer.Serialize(a, JsonSerializerOptions.Default) == JsonSerializer.Serialize(b, JsonSerializerOptions.Default),
        value => JsonSerializer.Serialize(value, JsonSerializerOptions.Default).GetHashCode(StringComparison.Ordinal),
        value => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, JsonSerializerOptions.Default), JsonSerializerOptions.Default)!);
}
