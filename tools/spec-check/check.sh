#!/usr/bin/env bash
# Checks specs/ with tools no one here wrote, at the versions pinned in package.json (../shared/reference/tooling.md):
# Spectral (spectral:oas, spectral:asyncapi) must report no error; @asyncapi/parser no error diagnostic; ajv must give
# every example its manifest verdict; redocly diff must find no unannounced breaking change against the last release.
set -euo pipefail
cd "$(dirname "$0")"
# Installed once per lock file: the copy of the lock file beside the install says which one it was (file times are not
# a guide: a checkout makes the lock file look newer than an install made from the very same file).
if ! cmp -s package-lock.json node_modules/.installed-from.json; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.installed-from.json
fi
cd ../..

echo "== Spectral: OpenAPI and AsyncAPI"
tools/spec-check/node_modules/.bin/spectral lint --ruleset tools/spec-check/.spectral.yaml --fail-severity error --display-only-failures \
  specs/openapi/openapi.json specs/asyncapi/asyncapi.yaml
echo "== AsyncAPI parser"
node tools/spec-check/asyncapi-parse.mjs specs/asyncapi/asyncapi.yaml
echo "== ajv over the examples"
node tools/spec-check/ajv-examples.mjs specs
echo "== Breaking changes against the last release"
node tools/spec-check/openapi-compat.mjs specs
