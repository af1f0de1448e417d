import { lintSql } from '../lint';

const hits = async (sql: string) => (await lintSql(sql, { transactional: false })).filter((f) => f.rule === 'require-concurrent-index-deletion');

describe('require-concurrent-index-deletion', () => {
  it.each([
    // public examples (squawk, strong_migrations)
    "DROP INDEX \"field_name_idx\"",
    "DROP INDEX IF EXISTS index_users_on_email",
    "DROP INDEX idx_a",
    "DROP INDEX IF EXISTS public.idx_a",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'require-concurrent-index-deletion', message: expect.any(String), fix: expect.any(String) });
  });

  it.each([
    // public examples (squawk, strong_migrations)
    "DROP INDEX CONCURRENTLY IF EXISTS \"field_name_idx\"",
    "DROP INDEX CONCURRENTLY idx_a",
  ])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
