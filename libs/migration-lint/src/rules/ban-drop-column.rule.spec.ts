import { lintSql } from '../lint';

const hits = async (sql: string) => (await lintSql(sql, { transactional: false })).filter((f) => f.rule === 'ban-drop-column');

describe('ban-drop-column', () => {
  it.each([
    // public examples (squawk, strong_migrations)
    "ALTER TABLE \"bar_tbl\" DROP COLUMN \"foo_col\" CASCADE",
    "ALTER TABLE users DROP COLUMN some_column",
    "ALTER TABLE chargebacks DROP COLUMN utr",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'ban-drop-column', message: expect.any(String), fix: expect.any(String) });
  });

  it.each(["ALTER TABLE chargebacks ADD COLUMN utr text"])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
