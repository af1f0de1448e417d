import { lintSql } from '../lint';

const hits = async (sql: string, transactional = false, pgVersion?: number) => (await lintSql(sql, { transactional, pgVersion })).filter((f) => f.rule === 'adding-stored-generated-column');

describe('adding-stored-generated-column', () => {
  it.each([
    "ALTER TABLE chargebacks ADD COLUMN amount_cents bigint GENERATED ALWAYS AS (amount * 100) STORED",
    "ALTER TABLE users ADD COLUMN full_name text GENERATED ALWAYS AS (first_name || ' ' || last_name) STORED",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'adding-stored-generated-column', message: expect.any(String), fix: expect.any(String) });
  });

  it.each([
    "ALTER TABLE chargebacks ADD COLUMN amount_cents bigint GENERATED ALWAYS AS (amount * 100) VIRTUAL",
    "ALTER TABLE chargebacks ADD COLUMN amount_cents bigint GENERATED ALWAYS AS (amount * 100)",
    "ALTER TABLE chargebacks ADD COLUMN amount_cents bigint",
    "CREATE TABLE t (a int); ALTER TABLE t ADD COLUMN b int GENERATED ALWAYS AS (a * 2) STORED",
    "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) STORED)",
  ])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });

  it('offers VIRTUAL on PostgreSQL 18 and a backfilled column before it', async () => {
    const sql = 'ALTER TABLE chargebacks ADD COLUMN c bigint GENERATED ALWAYS AS (amount * 100) STORED';
    expect((await hits(sql, false, 18))[0].fix).toMatch(/make it VIRTUAL/);
    expect((await hits(sql, false, 17))[0].fix).toMatch(/^Add a plain nullable column/);
  });
});
