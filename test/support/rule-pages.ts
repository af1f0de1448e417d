import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The SQL examples of each rule's page (libs/migration-lint/docs/rules/<rule>.md), read the way a
 * reader reads them:
 *
 * - under "## The problem", the ```sql block right after a paragraph that starts with "Given" and
 *   ends with ":" is the schema (and rows) the page's examples run against; every other ```sql
 *   block there is the hazard, the statements the rule flags;
 * - under "## The safe way", every ```sql block is one migration of the safe way, in order;
 *   blocks in other languages (```ts) are not SQL and are left out;
 * - a block whose first line is `-- a transactional migration` runs as one transaction (and is
 *   linted as a transactional migration); any other block runs statement by statement, each
 *   committed on its own, as a non-transactional migration does;
 * - a safe-way block whose first line is `-- PostgreSQL N and later` is another way, for that
 *   major on: it is applied on its own (not after the other blocks), and only on a server of
 *   major N or later. The other blocks claim to work on every supported major (13 on).
 *
 * The ignore-comment templates under "## Ignoring it" are not examples and are not read.
 */

export const RULE_DOCS = join(__dirname, '../../libs/migration-lint/docs/rules');

export interface SqlBlock {
  sql: string;
  transactional: boolean;
  /** The first major the block applies to, when the page says so. */
  sinceMajor?: number;
}

export interface RulePage {
  rule: string;
  given?: string;
  hazard: SqlBlock[];
  safe: SqlBlock[];
}

function section(page: string, heading: string): string {
  const re = new RegExp(`^## ${heading}\\s*$([\\s\\S]*?)(?=^## |(?![\\s\\S]))`, 'm');
  return re.exec(page)?.[1] ?? '';
}

function block(sql: string): SqlBlock {
  const first = sql.split('\n', 1)[0].trim();
  const since = /^-- PostgreSQL (\d+) and later$/.exec(first);
  return { sql, transactional: first === '-- a transactional migration', ...(since ? { sinceMajor: Number(since[1]) } : {}) };
}

export function readRulePage(rule: string, text: string): RulePage {
  const problem = section(text, 'The problem');
  let given: string | undefined;
  const hazard: SqlBlock[] = [];
  for (const m of problem.matchAll(/(?:^|\n)([^\n]*)\n\n```sql\n([\s\S]*?)```/g)) {
    if (/^Given\b.*:$/.test(m[1].trim()) && given === undefined) given = m[2];
    else hazard.push(block(m[2]));
  }
  const safe = [...section(text, 'The safe way').matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => block(m[1]));
  return { rule, given, hazard, safe };
}

export function readRulePages(): RulePage[] {
  return readdirSync(RULE_DOCS)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => readRulePage(f.replace(/\.md$/, ''), readFileSync(join(RULE_DOCS, f), 'utf8')));
}
