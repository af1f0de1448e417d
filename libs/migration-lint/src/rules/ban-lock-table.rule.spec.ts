import { lintSql } from '../lint';

const hits = async (sql: string, transactional = false, pgVersion?: number) => (await lintSql(sql, { transactional, pgVersion })).filter((f) => f.rule === 'ban-lock-table');

describe('ban-lock-table', () => {
  it.each([
    "LOCK TABLE chargebacks",
    "LOCK chargebacks",
    "LOCK TABLE chargebacks IN ACCESS EXCLUSIVE MODE",
    "LOCK TABLE chargebacks IN EXCLUSIVE MODE",
    "LOCK TABLE chargebacks IN SHARE ROW EXCLUSIVE MODE",
    "LOCK TABLE chargebacks IN SHARE MODE",
    "LOCK TABLE a, b IN SHARE MODE",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'ban-lock-table', message: expect.any(String), fix: expect.any(String) });
  });

  it.each([
    "LOCK TABLE chargebacks IN ACCESS SHARE MODE",
    "LOCK TABLE chargebacks IN ROW SHARE MODE",
    "LOCK TABLE chargebacks IN ROW EXCLUSIVE MODE",
    "LOCK TABLE chargebacks IN SHARE UPDATE EXCLUSIVE MODE",
    "CREATE TABLE t (id int); LOCK TABLE t",
  ])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });

  it('says ACCESS EXCLUSIVE, the default mode, blocks reads too', async () => {
    expect((await hits('LOCK TABLE chargebacks'))[0].message).toMatch(/ACCESS EXCLUSIVE MODE blocks reads and writes/);
    expect((await hits('LOCK TABLE chargebacks IN SHARE MODE'))[0].message).toMatch(/SHARE MODE blocks writes/);
  });
});
