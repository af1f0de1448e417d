import { lintSql } from '../lint';

const hits = async (sql: string, transactional = false, pgVersion?: number) => (await lintSql(sql, { transactional, pgVersion })).filter((f) => f.rule === 'ban-vacuum-full-cluster');

describe('ban-vacuum-full-cluster', () => {
  it.each([
    "VACUUM FULL chargebacks",
    "VACUUM (FULL, ANALYZE) chargebacks",
    "VACUUM FULL",
    "CLUSTER chargebacks USING chargebacks_pkey",
    "CLUSTER chargebacks",
    "CLUSTER",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'ban-vacuum-full-cluster', message: expect.any(String), fix: expect.any(String) });
  });

  it.each([
    "VACUUM chargebacks",
    "VACUUM (ANALYZE) chargebacks",
    "VACUUM (FULL false) chargebacks",
    "ANALYZE chargebacks",
    "ANALYZE",
    "CREATE TABLE t (id int primary key); CLUSTER t USING t_pkey",
  ])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
