import { lintSql } from '../lint';

const hits = async (sql: string) => (await lintSql(sql, { transactional: false })).filter((f) => f.rule === 'renaming-column');

describe('renaming-column', () => {
  it.each([
    // public examples (squawk, strong_migrations)
    "ALTER TABLE \"table_name\" RENAME COLUMN \"column_name\" TO \"new_column_name\"",
    "ALTER TABLE users RENAME COLUMN some_column TO new_name",
    "ALTER TABLE chargebacks RENAME COLUMN utr TO bank_reference",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'renaming-column', message: expect.any(String), fix: expect.any(String) });
  });

  it.each(["ALTER TABLE chargebacks RENAME TO disputes"])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
