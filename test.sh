#!/usr/bin/env bash
# Runs every test suite on a fresh machine: installs what the tests need, builds, tests, then a benchmark smoke run.
set -euo pipefail
cd "$(dirname "$0")"

# Tools the tests drive: curl and jq run the README walkthrough; mosquitto's clients talk to the MQTT broker, and
# mosquitto itself plays the external broker;
# Node.js and npm run the Pact CLI and the outside spec checkers; Chromium runs the portal's pages.
missing=()
for tool in curl jq node npm; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
missing=("${missing[@]/#node/nodejs}")
command -v mosquitto_pub >/dev/null 2>&1 || missing+=(mosquitto-clients)
# The broker itself, for the external-broker tests and the MQTT benchmark's baseline.
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
# PostgreSQL's server: the suite runs a second time on it (a throwaway cluster, started below as an ordinary user).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
# The portal's browser tests drive Debian's Chromium (no browser download); a CJK font lets screenshots show Chinese.
[ -x /usr/bin/chromium ] || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]}..."
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The Pact CLI (pact mock, pact verifier) for the contract tests, pinned by tools/pact/package-lock.json.
if [ ! -x tools/pact/node_modules/@pact-foundation/pact-cli-linux-x64/standalone/pact ]; then
  (cd tools/pact && npm ci --no-audit --no-fund --loglevel=error)
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
configuration=${CONFIGURATION:-Release}

dotnet build IntegrationHub.sln -c "$configuration" -warnaserror

# A throwaway PostgreSQL cluster on a free port, stopped and deleted however this script ends. No test binds 5432.
postgres_dir=$(mktemp -d "${TMPDIR:-/tmp}/ihub-postgres-XXXXXX")
trap 'tools/db/throwaway-postgres.sh stop "$postgres_dir"; rm -rf "$postgres_dir"' EXIT
IHUB_POSTGRES=$(tools/db/throwaway-postgres.sh start "$postgres_dir")
export IHUB_POSTGRES

# Every suite on SQLite, then the storage-bound classes once more on PostgreSQL (trait Storage=SqliteAndPostgreSql:
# ingest, the group commit, the crash test, alerts, tenancy, the schema, two nodes as a cluster): the same tests, each hub on a database of its
# own there (IHUB_STORAGE, tests/IntegrationHub.Testing/TestStorage.cs). A run that finds no such test fails.
# The failures are repeated at the end, in short, so that they are the last thing a long log shows.
mkdir -p artifacts
status=0
dotnet test --solution IntegrationHub.sln -c "$configuration" --no-build 2>&1 | tee artifacts/test.log || status=2
IHUB_STORAGE=PostgreSql dotnet test --project tests/IntegrationHub.Gateway.Tests -c "$configuration" --no-build \
  --filter-trait "Storage=SqliteAndPostgreSql" 2>&1 | tee artifacts/test-postgresql.log || status=2
if [ $status -ne 0 ]; then
  echo
  echo "=== Failed tests (full output above and in artifacts/test.log, artifacts/test-postgresql.log) ==="
  grep -h -A12 '^failed ' artifacts/test.log artifacts/test-postgresql.log | cut -c1-400 || true
  exit $status
fi

# The client SDK ships as a NuGet package and the CLI as a .NET tool: prove both still pack, READMEs included.
dotnet pack src/Adapters/IntegrationHub.Client -c "$configuration" --no-build -o artifacts/packages
# The conformance CLI ships as a .NET tool (dotnet tool install --global --add-source artifacts/packages IntegrationHub.Conformance.Cli).
dotnet pack src/Conformance/IntegrationHub.Conformance.Cli -c "$configuration" --no-build -o artifacts/packages

# The spec, checked by tools no one here wrote (Spectral, the AsyncAPI parser, ajv, redocly diff); installs them
# from tools/spec-check/package-lock.json on first use.
tools/spec-check/check.sh

# Benchmarks are judged by people, not by CI: a few seconds to prove they still run.
if [ -d bench/IntegrationHub.Bench ]; then
  dotnet run --project bench/IntegrationHub.Bench -c "$configuration" --no-build -- --smoke
fi
