// Compares the OpenAPI document with the last released one using `redocly diff` and fails on any change rated major
// (breaking) that specs/released/announced-breaks.json does not list (SPEC-003). Usage: node openapi-compat.mjs [SPECS_DIR]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const specs = resolve(process.argv[2] ?? join(here, '../../specs'));
const announced = JSON.parse(readFileSync(join(specs, 'released/announced-breaks.json'), 'utf8'));
const base = join(specs, announced.baseline);
const revision = join(specs, 'openapi/openapi.json');

const run = spawnSync(join(here, 'node_modules/.bin/redocly'),
  ['diff', relative(process.cwd(), base), relative(process.cwd(), revision), '--format', 'json', '--fail-on', 'none'],
  { encoding: 'utf8', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } });
const start = run.stdout.indexOf('{');
if (run.status !== 0 || start < 0) {
  console.log(`redocly diff failed (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  process.exit(1);
}
const report = JSON.parse(run.stdout.slice(start));
// redocly diff 2.77 matches a parameter by its whole value, so a parameter that only gained a description is reported
// as removed and added again at the same place. Such a pair is no break: the pair cancels when the two values agree
// once their prose (description, summary, examples) is set aside; any other difference stays a removal.
const prose = new Set(['description', 'summary', 'example', 'examples', 'title']);
const shape = value => JSON.stringify(value, (key, v) => (prose.has(key) ? undefined : v));
const operationOf = pointer => pointer.replace(/\/parameters\/\d+$/, '');
const readded = report.changes.filter(c => c.typeName === 'Parameter' && c.kind === 'added');
const onlyReworded = change => change.typeName === 'Parameter' && change.kind === 'removed' &&
  readded.some(a => operationOf(a.path) === operationOf(change.path) && a.revision?.value?.name === change.base?.value?.name &&
    a.revision?.value?.in === change.base?.value?.in && shape(a.revision.value) === shape(change.base.value));
const isAnnounced = (ruleId, pointer) => announced.breaks.some(b => b.ruleId === ruleId && b.pointer === pointer);
const unannounced = report.changes
  .filter(change => !onlyReworded(change))
  .flatMap(change => (change.verdicts ?? []).map(v => ({ ...v, pointer: change.path })))
  .filter(v => v.impact === 'major' && !isAnnounced(v.ruleId, v.pointer));

console.log(`redocly diff ${announced.baseline} → openapi/openapi.json: ${report.summary.major} major, ${report.summary.minor} minor, ` +
  `${report.summary.patch} patch; ${announced.breaks.length} break(s) announced.`);
if (unannounced.length > 0) {
  console.log('Breaking changes that released/announced-breaks.json does not announce (COMPATIBILITY.md):');
  for (const v of unannounced) console.log(`  ${v.ruleId} at ${v.pointer}: ${v.message}`);
  process.exit(1);
}
