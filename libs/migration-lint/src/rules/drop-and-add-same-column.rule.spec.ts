import { lintSql } from '../lint';

const hits = async (sql: string, transactional = false, pgVersion?: number) => (await lintSql(sql, { transactional, pgVersion })).filter((f) => f.rule === 'drop-and-add-same-column');

describe('drop-and-add-same-column', () => {
  it.each([
    "ALTER TABLE chargebacks DROP COLUMN amount; ALTER TABLE chargebacks ADD COLUMN amount numeric(12,2)",
    "ALTER TABLE \"chargebacks\" DROP COLUMN \"amount\", ADD \"amount\" numeric(12,2) NOT NULL DEFAULT 0",
    "ALTER TABLE billing.chargebacks DROP COLUMN IF EXISTS utr; ALTER TABLE billing.chargebacks ADD COLUMN utr text",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'drop-and-add-same-column', message: expect.any(String), fix: expect.any(String) });
  });

  it.each([
    "ALTER TABLE chargebacks DROP COLUMN amount; ALTER TABLE chargebacks ADD COLUMN amount_cents bigint",
    "ALTER TABLE chargebacks ADD COLUMN amount numeric; ALTER TABLE chargebacks DROP COLUMN amount",
    "ALTER TABLE chargebacks DROP COLUMN amount; ALTER TABLE refunds ADD COLUMN amount numeric",
    "ALTER TABLE chargebacks ALTER COLUMN amount TYPE numeric(12,2) USING amount::numeric(12,2)",
    "CREATE TABLE t (a int); ALTER TABLE t DROP COLUMN a; ALTER TABLE t ADD COLUMN a text",
  ])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
