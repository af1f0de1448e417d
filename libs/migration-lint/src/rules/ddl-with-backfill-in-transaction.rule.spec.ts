import { lintSql } from '../lint';

const hits = async (sql: string, transactional = true, pgVersion?: number) => (await lintSql(sql, { transactional, pgVersion })).filter((f) => f.rule === 'ddl-with-backfill-in-transaction');

describe('ddl-with-backfill-in-transaction', () => {
  it.each([
    // strong_migrations' "backfilling data" example: the column and its backfill in one transaction
    "ALTER TABLE users ADD COLUMN some_column text; UPDATE users SET some_column = 'default_value'",
    "ALTER TABLE chargebacks ADD COLUMN utr text; UPDATE chargebacks SET utr = legacy_utr",
    "UPDATE chargebacks SET utr = legacy_utr; ALTER TABLE chargebacks ALTER COLUMN utr SET NOT NULL",
    "ALTER TABLE billing.chargebacks ADD COLUMN archived boolean; DELETE FROM billing.chargebacks WHERE created_at < now() - interval '7 years'",
    "DELETE FROM chargebacks WHERE utr IS NULL; ALTER TABLE chargebacks ADD CONSTRAINT utr_not_null CHECK (utr IS NOT NULL) NOT VALID",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'ddl-with-backfill-in-transaction', message: expect.any(String), fix: expect.any(String) });
  });

  it.each([
    "UPDATE chargebacks SET utr = legacy_utr",
    "ALTER TABLE chargebacks ADD COLUMN utr text",
    "ALTER TABLE chargebacks ADD COLUMN utr text; UPDATE refunds SET utr = legacy_utr",
    "ALTER TABLE chargebacks VALIDATE CONSTRAINT utr_not_null; UPDATE chargebacks SET utr = legacy_utr",
    "CREATE TABLE t (a int); INSERT INTO t VALUES (1); ALTER TABLE t ADD COLUMN b int; UPDATE t SET b = a",
  ])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });

  it('accepts the same statements in a non-transactional migration', async () => {
    expect(await hits('ALTER TABLE chargebacks ADD COLUMN utr text; UPDATE chargebacks SET utr = legacy_utr', false)).toEqual([]);
  });

  it('flags once, at the later statement, however many statements pair up', async () => {
    const found = await hits('ALTER TABLE chargebacks ADD COLUMN utr text; ALTER TABLE chargebacks ADD COLUMN note text; UPDATE chargebacks SET utr = legacy_utr');
    expect(found.map((f) => f.statementIndex)).toEqual([2]);
  });
});
