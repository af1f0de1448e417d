import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { lintSql, lintStatements, RULES } from './lint';
import { parseStatements } from './parse';

const EXPAND = [
  'ALTER TABLE "chargebacks" ADD "utr" character varying(64)',
  'ALTER TABLE "chargebacks" ADD "reported_at" TIMESTAMP WITH TIME ZONE',
  'CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_chargebacks_utr" ON "chargebacks" ("utr")',
];

describe('lintStatements', () => {
  it('finds nothing wrong with the example expand migration run outside a transaction', async () => {
    expect(await lintStatements(EXPAND, { transactional: false, migration: '202401151000__chargebacks_add_utr_reported_at' })).toEqual([]);
  });

  it('refuses the same SQL inside a transaction', async () => {
    const findings = await lintStatements(EXPAND, { transactional: true, migration: 'm' });
    expect(findings).toEqual([expect.objectContaining({ rule: 'concurrently-in-transaction', severity: 'error', statementIndex: 2, migration: 'm' })]);
  });

  it('gives the line of each finding in a script, and honours an ignore comment with a reason', async () => {
    const sql = ['ALTER TABLE a ADD COLUMN b int;', '', '-- zdm-lint-ignore ban-drop-column: nothing reads it since v42', 'ALTER TABLE a DROP COLUMN c;', 'DROP INDEX idx_d;'].join('\n');
    const findings = await lintSql(sql, { transactional: false });
    expect(findings.map((f) => [f.rule, f.line, f.statement])).toEqual([['require-concurrent-index-deletion', 5, 'DROP INDEX idx_d']]);
  });

  it('skips the rules a migration ignores', async () => {
    expect(await lintSql('DROP TABLE old_things', { transactional: false, ignore: ['ban-drop-table'] })).toEqual([]);
  });

  it('says nothing about SQL the parser cannot read', async () => {
    expect(await lintSql('CREATE WIDGET x', { transactional: false })).toEqual([]);
  });

  it('has a doc page and a test for every rule', () => {
    const docs = readdirSync(join(__dirname, '../docs/rules'));
    const specs = readdirSync(join(__dirname, 'rules'));
    for (const rule of RULES) {
      expect(docs).toContain(`${rule.id}.md`);
      expect(specs).toContain(`${rule.id}.rule.spec.ts`);
    }
  });
});

describe('statements of newer majors', () => {
  it.each([
    'MERGE INTO balances b USING incoming s ON b.id = s.id WHEN MATCHED THEN UPDATE SET amount = s.amount WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.amount)',
    'CREATE TABLE codes (code text, UNIQUE NULLS NOT DISTINCT (code))',
    'ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY',
    'ALTER TABLE refunds ADD CONSTRAINT refunds_reason_not_null NOT NULL reason NOT VALID',
  ])('parses and lints %s', async (sql) => {
    expect(await parseStatements(sql)).toHaveLength(1);
    expect(await lintSql(sql, { transactional: false })).toEqual([]);
  });
});
