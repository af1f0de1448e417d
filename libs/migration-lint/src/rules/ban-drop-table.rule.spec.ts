import { lintSql } from '../lint';

const hits = async (sql: string) => (await lintSql(sql, { transactional: false })).filter((f) => f.rule === 'ban-drop-table');

describe('ban-drop-table', () => {
  it.each([
    // public examples (squawk, strong_migrations)
    "DROP TABLE \"table_name\"",
    "DROP TABLE IF EXISTS users",
    "DROP TABLE chargebacks",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'ban-drop-table', message: expect.any(String), fix: expect.any(String) });
  });

  it.each(["CREATE TABLE t (id int); DROP TABLE t"])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
