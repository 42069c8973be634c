import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSchemaDoc, SCHEMA_DOC } from '../../src/store/schema-doc.js';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite.js';
import { tempDir } from '../temp-dir.js';

describe('the schema reference', () => {
  it('documents exactly the tables, views and columns a fresh database has, in their order', async () => {
    const path = join(tempDir('sweep-schema-doc-'), 'sweeps.db');
    await (await SqliteStore.open(path)).close();
    const store = { db: new Database(path, { readonly: true }) };
    try {
      const relations = store.db.prepare(
        `SELECT name, type FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name`,
      ).all() as { name: string; type: string }[];
      const actual = Object.fromEntries(relations.map((r) => [r.name, {
        kind: r.type,
        columns: (store.db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(r.name) as string[]),
      }]));
      const documented = Object.fromEntries(SCHEMA_DOC.map((r) => [r.name, { kind: r.kind, columns: r.columns.map((c) => c.name) }]));
      expect(documented).toEqual(actual);
    } finally {
      store.db.close();
    }
  });

  it('gives every table, view and column a one-line description', () => {
    for (const r of SCHEMA_DOC) {
      expect(r.description, r.name).toMatch(/^\S[^\n]*$/);
      for (const c of r.columns) expect(c.description, `${r.name}.${c.name}`).toMatch(/^\S[^\n]*[^.\n]$/);
      for (const c of r.columns.filter((x) => x.sameAs)) {
        const from = SCHEMA_DOC.find((x) => x.name === c.sameAs);
        expect(from?.columns.some((x) => x.name === c.name), `${r.name}.${c.name} as in ${c.sameAs}`).toBe(true);
      }
    }
  });

  it('names every column in the Markdown', () => {
    const doc = renderSchemaDoc();
    for (const r of SCHEMA_DOC) {
      const block = doc.split('\n\n').find((b) => b.startsWith(`**\`${r.name}\`** (${r.kind})`));
      expect(block, r.name).toBeDefined();
      for (const c of r.columns) expect(block, `${r.name}.${c.name}`).toContain(`\`${c.name}\``);
    }
  });

  it('is in docs/database.md verbatim between the schema markers (node scripts/update-schema-doc.mjs rewrites it)', () => {
    const readme = readFileSync('docs/database.md', 'utf8');
    const start = readme.indexOf('<!-- schema:start -->');
    const end = readme.indexOf('<!-- schema:end -->');
    expect(start).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(start);
    expect(readme.slice(start + '<!-- schema:start -->'.length, end)).toBe(`\n${renderSchemaDoc()}\n`);
  });
});
