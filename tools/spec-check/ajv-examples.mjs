// Runs every JSON example of specs/examples/manifest.json through ajv-cli (`ajv validate --spec=draft2020 -c
// ajv-formats`), a JSON Schema validator independent of the hub's, and fails unless ajv accepts every valid example
// and rejects every invalid one. Examples that get the profile checks are judged by their profile's generated message
// schema (specs/message-schemas/). An invalid example whose only findings need what no schema has (the receiver's
// clock, the device registry: the manifest's contextOnlyCodes) must be accepted by ajv, and is counted apart. CAP XML
// examples are left to the XSD test of the .NET suite, vendor CSV examples to its codec test. Usage: node ajv-examples.mjs [SPECS_DIR]
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const specs = resolve(process.argv[2] ?? join(here, '../../specs'));
const ajv = join(here, 'node_modules/.bin/ajv');
const manifest = JSON.parse(readFileSync(join(specs, 'examples/manifest.json'), 'utf8'));
const schemas = readdirSync(join(specs, 'schemas')).filter(f => f.endsWith('.schema.json')).map(f => join(specs, 'schemas', f));
const show = path => relative(process.cwd(), path);

const groups = new Map();
let xml = 0;
let csv = 0;
for (const example of manifest.examples) {
  if (!example.file.endsWith('.json')) {
    if (example.file.endsWith('.csv')) csv++;
    else xml++;
    continue;
  }
  const file = resolve(specs, 'examples', example.file);
  let schema = join(specs, 'schemas', `${example.schema}.schema.json`);
  if (example.profileChecks) {
    const profile = example.file.startsWith('profiles/') ? example.file.split('/')[1] : JSON.parse(readFileSync(file, 'utf8')).profile;
    schema = join(specs, 'message-schemas', `${profile}.schema.json`);
  }
  const contextOnly = !example.valid && example.errors.every(e => manifest.contextOnlyCodes.includes(e.code));
  if (!groups.has(schema)) groups.set(schema, []);
  groups.get(schema).push({ file, expected: example.valid || contextOnly, contextOnly });
}

const wrong = [];
const counts = { valid: 0, invalid: 0, contextOnly: 0 };
for (const [schema, examples] of groups) {
  const args = ['validate', '--spec=draft2020', '-c', 'ajv-formats', '--strict-types=false', '-s', show(schema)];
  for (const other of schemas.filter(s => s !== schema)) args.push('-r', show(other));
  for (const example of examples) args.push('-d', show(example.file));
  const run = spawnSync(ajv, args, { encoding: 'utf8' });
  const output = `${run.stdout}\n${run.stderr}`;
  for (const example of examples) {
    const name = show(example.file);
    const verdict = output.match(new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (valid|invalid)$`, 'm'))?.[1];
    if (verdict === undefined) {
      wrong.push(`${name}: ajv gave no verdict against ${show(schema)}\n${output}`);
    } else if ((verdict === 'valid') !== example.expected) {
      wrong.push(`${name}: ajv says ${verdict} against ${show(schema)}, the manifest expects ${example.expected ? 'valid' : 'invalid'}`);
    } else {
      counts[example.contextOnly ? 'contextOnly' : verdict]++;
    }
  }
}

console.log(`ajv: ${counts.valid} valid examples accepted, ${counts.invalid} invalid examples rejected, ` +
  `${counts.contextOnly} accepted whose only findings need the hub's clock or registry; ${xml} CAP XML examples left to the XSD test, ${csv} vendor CSV examples to the codec test.`);
if (wrong.length > 0) {
  console.log(wrong.join('\n'));
  process.exit(1);
}
