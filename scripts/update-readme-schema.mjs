#!/usr/bin/env node
// Rewrites README.md's schema reference, between `<!-- schema:start -->` and
// `<!-- schema:end -->`, from src/store/schema-doc.ts (its single source of truth).
// Build first: `npm run build && node scripts/update-readme-schema.mjs`.
// test/store/schema-doc.test.ts fails while the README's copy is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { renderSchemaDoc } = await import(pathToFileURL(join(root, 'dist/store/schema-doc.js')).href);
const readmePath = join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const START = '<!-- schema:start -->';
const END = '<!-- schema:end -->';
const start = readme.indexOf(START);
const end = readme.indexOf(END);
if (start < 0 || end < start) {
  process.stderr.write(`update-readme-schema: README.md needs ${START} and ${END}, in that order\n`);
  process.exit(1);
}
const updated = `${readme.slice(0, start + START.length)}\n${renderSchemaDoc()}\n${readme.slice(end)}`;
if (updated === readme) {
  process.stdout.write('README.md: schema section already up to date\n');
} else {
  writeFileSync(readmePath, updated);
  process.stdout.write('README.md: schema section rewritten\n');
}
