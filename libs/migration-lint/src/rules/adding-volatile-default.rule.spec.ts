import { lintSql } from '../lint';

const hits = async (sql: string) => (await lintSql(sql, { transactional: false })).filter((f) => f.rule === 'adding-volatile-default');

describe('adding-volatile-default', () => {
  it.each([
    // public examples (squawk, strong_migrations)
    "ALTER TABLE users ADD COLUMN uuid uuid DEFAULT gen_random_uuid()",
    "ALTER TABLE chargebacks ADD COLUMN token uuid DEFAULT gen_random_uuid()",
    "ALTER TABLE chargebacks ADD COLUMN r float DEFAULT random()",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'adding-volatile-default', message: expect.any(String), fix: expect.any(String) });
  });

  it.each([
    // public examples (squawk, strong_migrations)
    "ALTER TABLE \"core_recipe\" ADD COLUMN \"foo\" integer DEFAULT 10",
    "ALTER TABLE chargebacks ADD COLUMN seen_at timestamptz DEFAULT now()",
    "ALTER TABLE chargebacks ADD COLUMN kind text DEFAULT 'card'",
    "ALTER TABLE chargebacks ADD COLUMN seq bigserial",
  ])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
