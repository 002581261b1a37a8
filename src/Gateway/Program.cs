using IntegrationHub.Gateway.Alerts;
using IntegrationHub.Gateway.Auth;
using IntegrationHub.Gateway.Certification;
using IntegrationHub.Gateway.Commands;
using IntegrationHub.Gateway.Mqtt;
using IntegrationHub.Gateway.Contracts;
using IntegrationHub.Gateway.Hosting;
using IntegrationHub.Gateway.Ingestion;
using IntegrationHub.Gateway.ClosedLoop;
using IntegrationHub.Gateway.Operations;
using IntegrationHub.Gateway.Organizations;
using IntegrationHub.Gateway.SourceHealth;
using IntegrationHub.Gateway.Specs;
using IntegrationHub.Gateway.Subscriptions;
using IntegrationHub.Gateway.Telemetry;
using IntegrationHub.Gateway.Telemetry.Aggregates;
using IntegrationHub.Gateway.Users;
using IntegrationHub.Gateway.Warnings;
using IntegrationHub.Portal;

var builder = WebApplication.CreateBuilder(ContentRoot.Options(args));

builder.AddHubHosting();
builder.Services.AddHubStorage();
builder.Services.AddHubCluster();
builder.Services.AddHubIngestion();
builder.Services.AddHubTelemetryAggregates();
builder.Services.AddHubAuth();
builder.Services.AddHubUsers();
builder.Services.AddHubEvents();
builder.Services.AddHubLoop();
builder.Services.AddHubAlerts();
builder.Services.AddHubSubscriptions();
builder.Services.AddHubWarnings();
builder.Services.AddHubSourceHealth();
builder.Services.AddHubMqtt();
builder.Services.AddHubCertification();
builder.Services.AddHubUpstreams();
builder.Services.AddHubCommands();
builder.Services.AddHubOperations(builder.Configuration);
builder.Services.AddHubOpenApi();
builder.Services.AddPortal();

var app = builder.Build();

app.UseHubPipeline();
app.UseHubSwagger();

app.MapTokenEndpoint();
app.MapAccount();
app.MapUsers();
app.MapOrganizations();
app.MapAdapters();
app.MapDevices();
app.MapMqttCredentials();
app.MapBrokerAuth();
app.MapGrants();
app.MapAudit();
app.MapIngestion();
app.MapQuarantine();
app.MapSourceHealth();
app.MapTelemetryQueries();
app.MapTelemetryAggregates();
app.MapAlerts();
app.MapRoutes();
app.MapAlertUnits();
app.MapOverdue();
app.MapFeedback();
app.MapSupervision();
app.MapDuty();
app.MapMaintenance();
app.MapWarnings();
app.MapSiteParameters();
app.MapSubscriptions();
app.MapEventStream();
app.MapCertifications();
app.MapUpstreams();
app.MapCommands();
app.MapSpecs();
app.MapOperations();
app.MapPortal();
app.MapPortalWorkspace(HubPolicies.PortalSession);
app.MapProviderStates();

await app.InitializeHubAsync();
await app.RunAsync();

/// <summary>The hub's entry point; public so that tests can host it.</summary>
public partial class Program;
