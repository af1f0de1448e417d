import { lintSql } from '../lint';

const hits = async (sql: string) => (await lintSql(sql, { transactional: true })).filter((f) => f.rule === 'concurrently-in-transaction');

describe('concurrently-in-transaction', () => {
  it.each(["CREATE INDEX CONCURRENTLY idx_a ON chargebacks (utr)", "DROP INDEX CONCURRENTLY idx_a", "REINDEX INDEX CONCURRENTLY idx_a"])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'concurrently-in-transaction', message: expect.any(String), fix: expect.any(String) });
  });

  it.each(["CREATE INDEX idx_a ON chargebacks (utr)", "ALTER TABLE chargebacks ADD utr varchar(64)"])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
