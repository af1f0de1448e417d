import { lintSql } from '../lint';

const hits = async (sql: string) => (await lintSql(sql, { transactional: false })).filter((f) => f.rule === 'renaming-table');

describe('renaming-table', () => {
  it.each([
    // public examples (squawk, strong_migrations)
    "ALTER TABLE users RENAME TO customers",
    "ALTER TABLE chargebacks RENAME TO disputes",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'renaming-table', message: expect.any(String), fix: expect.any(String) });
  });

  it.each(["ALTER TABLE chargebacks RENAME COLUMN utr TO ref"])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
