import { lintSql } from '../lint';

const hits = async (sql: string, transactional = false, pgVersion?: number) => (await lintSql(sql, { transactional, pgVersion })).filter((f) => f.rule === 'ban-drop-database');

describe('ban-drop-database', () => {
  it.each([
    // public examples (squawk, strong_migrations)
    "DROP DATABASE \"table_name\"",

    "DROP DATABASE app",
    "DROP DATABASE IF EXISTS app_old",
    "DROP DATABASE app WITH (FORCE)",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'ban-drop-database', message: expect.any(String), fix: expect.any(String) });
  });

  it.each([
    "DROP TABLE IF EXISTS x CASCADE; CREATE DATABASE app_copy",
    "DROP SCHEMA IF EXISTS x",
  ])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
