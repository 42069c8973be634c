#!/usr/bin/env node
// Rewrites docs/database.md's schema reference, between `<!-- schema:start -->` and
// `<!-- schema:end -->`, from src/store/schema-doc.ts (its single source of truth).
// Build first: `npm run build && node scripts/update-schema-doc.mjs`.
// test/store/schema-doc.test.ts fails while the doc's copy is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { renderSchemaDoc } = await import(pathToFileURL(join(root, 'dist/store/schema-doc.js')).href);
const DOC = 'docs/database.md';
const docPath = join(root, DOC);
const doc = readFileSync(docPath, 'utf8');
const START = '<!-- schema:start -->';
const END = '<!-- schema:end -->';
const start = doc.indexOf(START);
const end = doc.indexOf(END);
if (start < 0 || end < start) {
  process.stderr.write(`update-schema-doc: ${DOC} needs ${START} and ${END}, in that order\n`);
  process.exit(1);
}
const updated = `${doc.slice(0, start + START.length)}\n${renderSchemaDoc()}\n${doc.slice(end)}`;
if (updated === doc) {
  process.stdout.write(`${DOC}: schema section already up to date\n`);
} else {
  writeFileSync(docPath, updated);
  process.stdout.write(`${DOC}: schema section rewritten\n`);
}
