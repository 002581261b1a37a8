// Parses AsyncAPI documents with @asyncapi/parser (the parser the AsyncAPI CLI uses) and fails on any error
// diagnostic. Warnings and hints are printed, not fatal. Usage: node asyncapi-parse.mjs FILE...
import { resolve } from 'node:path';
import { Parser, fromFile } from '@asyncapi/parser';

const severities = ['error', 'warning', 'info', 'hint'];
const parser = new Parser();
let failed = false;
for (const file of process.argv.slice(2)) {
  const { document, diagnostics } = await fromFile(parser, resolve(file)).parse();
  for (const d of diagnostics) {
    const where = d.path && d.path.length ? d.path.join('.') : '(document)';
    console.log(`${file}: ${severities[d.severity] ?? d.severity} ${d.code}: ${d.message} at ${where}`);
  }
  const errors = diagnostics.filter(d => d.severity === 0);
  if (!document || errors.length > 0) {
    failed = true;
    console.log(`${file}: ${errors.length} error(s)`);
  } else {
    console.log(`${file}: valid AsyncAPI ${document.version()}, ${document.channels().length} channels, ${document.operations().length} operations`);
  }
}
process.exit(failed ? 1 : 0);
