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

describe('setting-not-null follows the target version', () => {
  const fix = async (pgVersion: number) => (await lintSql('ALTER TABLE chargebacks ALTER COLUMN utr SET NOT NULL', { transactional: false, pgVersion }))[0].fix;

  it('offers NOT NULL ... NOT VALID, then VALIDATE, on PostgreSQL 18', async () => {
    expect(await fix(18)).toMatch(/ADD CONSTRAINT <name> NOT NULL utr NOT VALID/);
  });

  it('offers the CHECK (... IS NOT NULL) NOT VALID path before 18', async () => {
    expect(await fix(17)).toMatch(/CHECK \(utr IS NOT NULL\) NOT VALID/);
  });
});
