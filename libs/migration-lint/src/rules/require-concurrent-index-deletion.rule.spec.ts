import { lintSql } from '../lint';

const hits = async (sql: string) => (await lintSql(sql, { transactional: false })).filter((f) => f.rule === 'require-concurrent-index-deletion');

describe('require-concurrent-index-deletion', () => {
  it.each(["DROP INDEX idx_a", "DROP INDEX IF EXISTS public.idx_a"])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'require-concurrent-index-deletion', message: expect.any(String), fix: expect.any(String) });
  });

  it.each(["DROP INDEX CONCURRENTLY idx_a"])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
