import { lintSql } from '../lint';

const hits = async (sql: string) => (await lintSql(sql, { transactional: false })).filter((f) => f.rule === 'setting-not-null');

describe('setting-not-null', () => {
  it.each(["ALTER TABLE chargebacks ALTER COLUMN utr SET NOT NULL"])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'setting-not-null', message: expect.any(String), fix: expect.any(String) });
  });

  it.each(["ALTER TABLE chargebacks ALTER COLUMN utr DROP NOT NULL"])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
