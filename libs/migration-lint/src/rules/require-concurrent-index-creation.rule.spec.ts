import { lintSql } from '../lint';

const hits = async (sql: string) => (await lintSql(sql, { transactional: false })).filter((f) => f.rule === 'require-concurrent-index-creation');

describe('require-concurrent-index-creation', () => {
  it.each([
    // public examples (squawk, strong_migrations)
    "CREATE INDEX ON users (email)",
    "CREATE INDEX \"field_name_idx\" ON \"table_name\" (\"field_name\")",
    "CREATE INDEX idx_a ON chargebacks (utr)",
    "CREATE UNIQUE INDEX idx_b ON chargebacks (payment_id)",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'require-concurrent-index-creation', message: expect.any(String), fix: expect.any(String) });
  });

  it.each([
    // public examples (squawk, strong_migrations)
    "CREATE INDEX CONCURRENTLY ON users (email)",
    "CREATE INDEX CONCURRENTLY idx_a ON chargebacks (utr)",
    "CREATE TABLE t (id int); CREATE INDEX idx_t ON t (id)",
  ])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
