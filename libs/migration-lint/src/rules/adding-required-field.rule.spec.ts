import { lintSql } from '../lint';

const hits = async (sql: string) => (await lintSql(sql, { transactional: false })).filter((f) => f.rule === 'adding-required-field');

describe('adding-required-field', () => {
  it.each([
    // public examples (squawk, strong_migrations)
    "ALTER TABLE \"recipe\" ADD COLUMN \"public\" boolean NOT NULL",
    "ALTER TABLE chargebacks ADD COLUMN reason text NOT NULL",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'adding-required-field', message: expect.any(String), fix: expect.any(String) });
  });

  it.each([
    // public examples (squawk, strong_migrations)
    "ALTER TABLE \"recipe\" ADD COLUMN \"public\" boolean NOT NULL DEFAULT true",
    "ALTER TABLE chargebacks ADD COLUMN reason text",
    "ALTER TABLE chargebacks ADD COLUMN reason text NOT NULL DEFAULT 'n/a'",
    "CREATE TABLE t (id int); ALTER TABLE t ADD COLUMN x int NOT NULL",
  ])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
