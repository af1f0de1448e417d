import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintSql, RULES } from './lint';

const DOCS = join(__dirname, '../docs/rules');

/** The SQL code blocks under a page's "## The safe way" heading (up to the next heading). */
function safeWayBlocks(page: string): string[] {
  const section = /^## The safe way\s*$([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(page)?.[1] ?? '';
  return [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]);
}

const pages = readdirSync(DOCS)
  .filter((f) => f.endsWith('.md'))
  .map((f) => ({ rule: f.replace(/\.md$/, ''), blocks: safeWayBlocks(readFileSync(join(DOCS, f), 'utf8')) }));

describe("each rule's own page", () => {
  it('has a page for every rule, and every page shows SQL for the safe way', () => {
    expect(pages.map((p) => p.rule).sort()).toEqual(RULES.map((r) => r.id).sort());
    for (const page of pages) expect([page.rule, page.blocks.length > 0]).toEqual([page.rule, true]);
  });

  // each block is one migration, linted alone, run outside a transaction, on tables that exist
  it.each(pages.flatMap((p) => p.blocks.map((sql, i) => [p.rule, i + 1, sql] as const)))("%s: the safe way (block %i) passes its own rule", async (rule, _block, sql) => {
    const findings = await lintSql(sql, { transactional: false });
    expect(findings.filter((f) => f.rule === rule)).toEqual([]);
  });
});
