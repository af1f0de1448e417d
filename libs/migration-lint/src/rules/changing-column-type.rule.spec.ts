import { lintSql } from '../lint';

const hits = async (sql: string) => (await lintSql(sql, { transactional: false })).filter((f) => f.rule === 'changing-column-type');

describe('changing-column-type', () => {
  it.each([
    // public examples (squawk, strong_migrations)
    "ALTER TABLE users ALTER COLUMN email TYPE text",
    "ALTER TABLE \"core_recipe\" ALTER COLUMN \"edits\" TYPE text USING \"edits\"::text",
    "ALTER TABLE chargebacks ALTER COLUMN status TYPE text",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'changing-column-type', message: expect.any(String), fix: expect.any(String) });
  });

  it.each(["ALTER TABLE chargebacks ALTER COLUMN status SET DEFAULT 'open'"])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
