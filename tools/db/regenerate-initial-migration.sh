#!/usr/bin/env bash
# Regenerates the hub's one Initial migration from the model. No hub database has shipped yet, so a schema change
# rewrites the initial migration instead of stacking another one on it (issue: squash before a release).
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet tool restore >/dev/null
rm -rf src/Gateway/Storage/Migrations
dotnet ef migrations add Initial --project src/Gateway --output-dir Storage/Migrations \
  --namespace IntegrationHub.Gateway.Storage.Migrations
# With an explicit namespace dotnet-ef puts the snapshot in a folder named after it; it belongs beside the migration.
if [ -d src/Gateway/IntegrationHub ]; then
  mv src/Gateway/IntegrationHub/Gateway/Storage/Migrations/HubDbModelSnapshot.cs src/Gateway/Storage/Migrations/
  rm -rf src/Gateway/IntegrationHub
fi
