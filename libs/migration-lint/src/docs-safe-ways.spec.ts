import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRulePages, RULE_DOCS } from '../../../test/support/rule-pages';
import { lintSql, RULES } from './lint';
import { parseStatements } from './parse';

// How a page's examples are read (the "Given:" schema, the hazard under "## The problem", the safe
// way's blocks and their `-- a transactional migration` / `-- PostgreSQL N and later` first lines):
// see test/support/rule-pages.ts. test/e2e/docs-examples.e2e.spec.ts applies them to databases.

const pages = readRulePages();

describe("each rule's own page", () => {
  it('has a page for every rule, and every page shows the schema it starts from, the hazard, and SQL for the safe way', () => {
    expect(pages.map((p) => p.rule).sort()).toEqual(RULES.map((r) => r.id).sort());
    for (const page of pages) {
      expect([page.rule, page.given !== undefined, page.hazard.length > 0, page.safe.length > 0]).toEqual([page.rule, true, true, true]);
      // no ```sql block under "The problem" escapes the reading (one not preceded by a blank line)
      const problem = /^## The problem\s*$([\s\S]*?)^## /m.exec(readFileSync(join(RULE_DOCS, `${page.rule}.md`), 'utf8'))?.[1] ?? '';
      expect([page.rule, (problem.match(/```sql\n/g) ?? []).length]).toEqual([page.rule, page.hazard.length + 1]);
    }
  });

  // the linter says nothing about SQL its parser cannot read: each block must parse, or passing would prove nothing
  it.each(pages.flatMap((p) => [...p.hazard, ...p.safe].map((b, i) => [p.rule, i + 1, b.sql] as const)))('%s: block %i is SQL the parser reads', async (_rule, _block, sql) => {
    expect((await parseStatements(sql)).length).toBeGreaterThan(0);
  });

  // each block is one migration, linted alone, on tables that exist
  it.each(pages.flatMap((p) => p.hazard.map((b, i) => [p.rule, i + 1, b] as const)))('%s: the hazard (block %i) is one the rule flags', async (rule, _block, b) => {
    const findings = await lintSql(b.sql, { transactional: b.transactional });
    expect(findings.map((f) => f.rule)).toContain(rule);
  });

  // a block for every major passes for 13 as for 18; one for a later major, for 18
  it.each(pages.flatMap((p) => p.safe.map((b, i) => [p.rule, i + 1, b] as const)))('%s: the safe way (block %i) passes its own rule', async (rule, _block, b) => {
    for (const pgVersion of b.sinceMajor === undefined ? [13, 18] : [18]) {
      const findings = await lintSql(b.sql, { transactional: b.transactional, pgVersion });
      expect([pgVersion, findings.filter((f) => f.rule === rule)]).toEqual([pgVersion, []]);
    }
  });
});
