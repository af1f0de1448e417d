import { lintSql } from '../lint';

const hits = async (sql: string, transactional = false, pgVersion?: number) => (await lintSql(sql, { transactional, pgVersion })).filter((f) => f.rule === 'require-concurrent-reindex');

describe('require-concurrent-reindex', () => {
  it.each([
    "REINDEX TABLE chargebacks",
    "REINDEX INDEX idx_chargebacks_utr",
    "REINDEX SCHEMA billing",
    "REINDEX DATABASE app",
    "REINDEX (VERBOSE) TABLE chargebacks",
    "CREATE INDEX idx_chargebacks_utr ON chargebacks (utr); REINDEX INDEX idx_chargebacks_utr",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'require-concurrent-reindex', message: expect.any(String), fix: expect.any(String) });
  });

  it.each([
    "REINDEX TABLE CONCURRENTLY chargebacks",
    "REINDEX INDEX CONCURRENTLY idx_chargebacks_utr",
    "REINDEX (CONCURRENTLY) SCHEMA billing",
    "REINDEX DATABASE CONCURRENTLY app",
    "REINDEX SYSTEM app",
    "CREATE TABLE t (id int); REINDEX TABLE t",
    "CREATE TABLE t (id int); CREATE INDEX t_id ON t (id); REINDEX INDEX t_id",
  ])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
