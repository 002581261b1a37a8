#!/usr/bin/env bash
# Regenerates the hub's one Initial migration of each database provider from the model: SQLite's in
# src/Migrations/IntegrationHub.Migrations.Sqlite, PostgreSQL's in src/Migrations/IntegrationHub.Migrations.PostgreSql.
# No hub database has shipped yet, so a schema change rewrites both initial migrations instead of stacking more on
# them (issue: squash before a release). Run it after every change to the EF model; it needs no database.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet tool restore >/dev/null
# The configuration the tests build (Release), so that their build finds the new migrations already built.
configuration=${CONFIGURATION:-Release}

# The migrations assemblies are compiled against the hub, and the hub's build builds them: delete the old migrations,
# build the hub once (leaving empty migrations assemblies), then let dotnet-ef write each provider's anew.
for provider in Sqlite PostgreSql; do
  rm -rf "src/Migrations/IntegrationHub.Migrations.$provider/Migrations"
done
dotnet build src/Gateway -c "$configuration" -v quiet -nologo

for provider in Sqlite PostgreSql; do
  project="src/Migrations/IntegrationHub.Migrations.$provider"
  dotnet ef migrations add Initial --no-build --configuration "$configuration" \
    --project "$project" --startup-project src/Gateway \
    --output-dir Migrations --namespace "IntegrationHub.Migrations.$provider" \
    -- --provider "$provider"
  # With an explicit namespace dotnet-ef may put the snapshot in a folder named after it; it belongs beside the migration.
  snapshot=$(find "$project" -path "$project/Migrations" -prune -o -name HubDbModelSnapshot.cs -print | head -n 1)
  if [ -n "$snapshot" ]; then
    mv "$snapshot" "$project/Migrations/"
    find "$project" -mindepth 1 -type d -empty -not -path '*/bin*' -not -path '*/obj*' -delete
  fi
done
# Build again so that the hub's output carries the new migrations.
dotnet build src/Gateway -c "$configuration" -v quiet -nologo
