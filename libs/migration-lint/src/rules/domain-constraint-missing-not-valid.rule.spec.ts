import { lintSql } from '../lint';

const hits = async (sql: string, transactional = false, pgVersion?: number) => (await lintSql(sql, { transactional, pgVersion })).filter((f) => f.rule === 'domain-constraint-missing-not-valid');

describe('domain-constraint-missing-not-valid', () => {
  it.each([
    "ALTER DOMAIN positive_amount ADD CONSTRAINT amount_positive CHECK (VALUE > 0)",
    "ALTER DOMAIN billing.utr ADD CHECK (length(VALUE) <= 64)",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'domain-constraint-missing-not-valid', message: expect.any(String), fix: expect.any(String) });
  });

  it.each([
    "ALTER DOMAIN positive_amount ADD CONSTRAINT amount_positive CHECK (VALUE > 0) NOT VALID",
    "ALTER DOMAIN positive_amount VALIDATE CONSTRAINT amount_positive",
    "CREATE DOMAIN positive_amount AS numeric; ALTER DOMAIN positive_amount ADD CONSTRAINT amount_positive CHECK (VALUE > 0)",
    "CREATE DOMAIN positive_amount AS numeric CHECK (VALUE > 0)",
  ])('accepts %s', async (sql) => {
    expect(await hits(sql)).toEqual([]);
  });
});
