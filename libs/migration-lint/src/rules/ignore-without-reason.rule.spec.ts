import { lintSql } from '../lint';

const hits = async (sql: string) => (await lintSql(sql, { transactional: false })).filter((f) => f.rule === 'ignore-without-reason');

describe('ignore-without-reason', () => {
  it.each(["-- zdm-lint-ignore ban-drop-column\nALTER TABLE chargebacks DROP COLUMN utr"])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'ignore-without-reason', message: expect.any(String), fix: expect.any(String) });
  });

  it.each(["-- zdm-lint-ignore ban-drop-column: the app stopped reading it in release 42\nALTER TABLE chargebacks DROP COLUMN utr"])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
