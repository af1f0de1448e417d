import { lintSql } from '../lint';

const hits = async (sql: string, transactional = true, pgVersion?: number) => (await lintSql(sql, { transactional, pgVersion })).filter((f) => f.rule === 'enum-value-used-in-same-transaction');

describe('enum-value-used-in-same-transaction', () => {
  it.each([
    "ALTER TYPE chargeback_status ADD VALUE 'disputed'; UPDATE chargebacks SET status = 'disputed' WHERE disputed_at IS NOT NULL",
    "ALTER TYPE chargeback_status ADD VALUE IF NOT EXISTS 'disputed' AFTER 'open'; ALTER TABLE chargebacks ALTER COLUMN status SET DEFAULT 'disputed'",
    "ALTER TYPE mood ADD VALUE 'it''s fine'; INSERT INTO moods VALUES ('it''s fine')",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'enum-value-used-in-same-transaction', message: expect.any(String), fix: expect.any(String) });
  });

  it.each([
    "ALTER TYPE chargeback_status ADD VALUE 'disputed'",
    "ALTER TYPE chargeback_status ADD VALUE 'disputed'; UPDATE chargebacks SET status = 'open'",
    "ALTER TYPE chargeback_status RENAME VALUE 'open' TO 'opened'; UPDATE chargebacks SET status = 'opened'",
    "CREATE TYPE chargeback_status AS ENUM ('open'); ALTER TYPE chargeback_status ADD VALUE 'disputed'; CREATE TABLE c (s chargeback_status DEFAULT 'disputed')",
  ])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });

  it('accepts the use in a non-transactional migration', async () => {
    expect(await hits("ALTER TYPE chargeback_status ADD VALUE 'disputed'; UPDATE chargebacks SET status = 'disputed'", false)).toEqual([]);
  });
});
