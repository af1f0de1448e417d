import { lintRun, lintSql } from '../lint';
import { notNullColumnOfDefinition, type NotNullCatalog } from '../not-null-proofs';

const hits = async (sql: string) => (await lintSql(sql, { transactional: false })).filter((f) => f.rule === 'setting-not-null');

describe('setting-not-null', () => {
  it.each([
    "ALTER TABLE chargebacks ALTER COLUMN utr SET NOT NULL",
    // strong_migrations' and squawk's example
    "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
    // a NOT VALID check that was never validated proves nothing
    "ALTER TABLE chargebacks ADD CONSTRAINT utr_not_null CHECK (utr IS NOT NULL) NOT VALID; ALTER TABLE chargebacks ALTER COLUMN utr SET NOT NULL",
    // a validated check on another column, or on another table
    "ALTER TABLE chargebacks ADD CONSTRAINT note_not_null CHECK (note IS NOT NULL) NOT VALID; ALTER TABLE chargebacks VALIDATE CONSTRAINT note_not_null; ALTER TABLE chargebacks ALTER COLUMN utr SET NOT NULL",
    "ALTER TABLE refunds ADD CONSTRAINT utr_not_null CHECK (utr IS NOT NULL) NOT VALID; ALTER TABLE refunds VALIDATE CONSTRAINT utr_not_null; ALTER TABLE chargebacks ALTER COLUMN utr SET NOT NULL",
    // a check that does not prove the column has no NULL
    "ALTER TABLE chargebacks ADD CONSTRAINT utr_short CHECK (length(utr) < 64) NOT VALID; ALTER TABLE chargebacks VALIDATE CONSTRAINT utr_short; ALTER TABLE chargebacks ALTER COLUMN utr SET NOT NULL",
  ])('flags %s', async (sql) => {
    const [finding, ...more] = await hits(sql);
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ rule: 'setting-not-null', message: expect.any(String), fix: expect.any(String) });
  });

  it.each([
    "ALTER TABLE chargebacks ALTER COLUMN utr DROP NOT NULL",
    // the safe way on the rule's page
    "ALTER TABLE chargebacks ADD CONSTRAINT utr_not_null CHECK (utr IS NOT NULL) NOT VALID; ALTER TABLE chargebacks VALIDATE CONSTRAINT utr_not_null; ALTER TABLE chargebacks ALTER COLUMN utr SET NOT NULL; ALTER TABLE chargebacks DROP CONSTRAINT utr_not_null",
    "ALTER TABLE billing.chargebacks ADD CONSTRAINT utr_not_null CHECK ((utr IS NOT NULL)) NOT VALID; ALTER TABLE chargebacks VALIDATE CONSTRAINT utr_not_null; ALTER TABLE billing.chargebacks ALTER COLUMN utr SET NOT NULL",
    // PostgreSQL 18's NOT NULL ... NOT VALID, validated
    "ALTER TABLE chargebacks ADD CONSTRAINT utr_not_null NOT NULL utr NOT VALID; ALTER TABLE chargebacks VALIDATE CONSTRAINT utr_not_null; ALTER TABLE chargebacks ALTER COLUMN utr SET NOT NULL",
    // a check added validated proves it at once
    "ALTER TABLE chargebacks ADD CONSTRAINT utr_not_null CHECK (utr IS NOT NULL); ALTER TABLE chargebacks ALTER COLUMN utr SET NOT NULL",
    // the check was added by an earlier migration: benefit of the doubt
    "ALTER TABLE chargebacks VALIDATE CONSTRAINT utr_not_null; ALTER TABLE chargebacks ALTER COLUMN utr SET NOT NULL",
    "CREATE TABLE t (a int); ALTER TABLE t ALTER COLUMN a SET NOT NULL",
  ])('accepts %s', async (sql) => {
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

describe('setting-not-null judges the proof across the run and against the live catalog', () => {
  const SET = 'ALTER TABLE chargebacks ALTER COLUMN utr SET NOT NULL';
  const unit = (sql: string, catalog?: NotNullCatalog) => ({ statements: [sql], context: { transactional: false, catalog } });
  const hitsOf = async (units: ReturnType<typeof unit>[]) => (await lintRun(units)).filter((f) => f.rule === 'setting-not-null');
  const check = (validated: boolean, notNullColumn = 'utr'): NotNullCatalog => ({
    notNullColumns: [],
    constraints: [{ schema: 'public', table: 'chargebacks', name: 'utr_not_null', notNullColumn, validated }],
  });

  it('a check validated by an earlier migration of the run is proof', async () => {
    const validate = unit('ALTER TABLE chargebacks ADD CONSTRAINT utr_not_null CHECK (utr IS NOT NULL) NOT VALID; ALTER TABLE chargebacks VALIDATE CONSTRAINT utr_not_null');
    expect(await hitsOf([validate, unit(SET)])).toEqual([]);
  });

  it('a check an earlier migration of the run added NOT VALID and nobody validated is no proof', async () => {
    expect(await hitsOf([unit('ALTER TABLE chargebacks ADD CONSTRAINT utr_not_null CHECK (utr IS NOT NULL) NOT VALID'), unit(SET)])).toHaveLength(1);
  });

  it('a validated check in the live catalog is proof; the same check NOT VALID is not, until the run validates it', async () => {
    expect(await hitsOf([unit(SET, check(true))])).toEqual([]);
    expect(await hitsOf([unit(SET, check(false))])).toHaveLength(1);
    expect(await hitsOf([unit(`ALTER TABLE chargebacks VALIDATE CONSTRAINT utr_not_null; ${SET}`, check(false))])).toEqual([]);
  });

  it('with the catalog to ask, validating a constraint that proves something else is no proof (no benefit of the doubt)', async () => {
    const shortUtr: NotNullCatalog = { notNullColumns: [], constraints: [{ schema: 'public', table: 'chargebacks', name: 'utr_not_null', validated: false }] };
    expect(await hitsOf([unit(`ALTER TABLE chargebacks VALIDATE CONSTRAINT utr_not_null; ${SET}`, shortUtr)])).toHaveLength(1);
    expect(await hitsOf([unit(`ALTER TABLE chargebacks VALIDATE CONSTRAINT utr_not_null; ${SET}`, check(false, 'note'))])).toHaveLength(1);
  });

  it('a column the catalog has NOT NULL already is a no-op; the same column of another table is not', async () => {
    const notNull: NotNullCatalog = { notNullColumns: [{ schema: 'public', table: 'chargebacks', column: 'utr' }], constraints: [] };
    expect(await hitsOf([unit(SET, notNull)])).toEqual([]);
    expect(await hitsOf([unit('ALTER TABLE refunds ALTER COLUMN utr SET NOT NULL', notNull)])).toHaveLength(1);
    expect(await hitsOf([unit('ALTER TABLE audit.chargebacks ALTER COLUMN utr SET NOT NULL', notNull)])).toHaveLength(1);
  });
});

describe('a catalog constraint as pg_get_constraintdef prints it', () => {
  it.each([
    ['CHECK ((utr IS NOT NULL))', 'utr'],
    ['CHECK ((utr IS NOT NULL)) NOT VALID', 'utr'],
    ['CHECK (("UTR" IS NOT NULL))', 'UTR'],
    ['NOT NULL utr', 'utr'],
    ['NOT NULL utr NOT VALID', 'utr'],
    ['CHECK ((length((utr)::text) < 64))', undefined],
    ['CHECK (((utr IS NOT NULL) OR (note IS NOT NULL)))', undefined],
  ])('%s proves %s', async (definition, column) => {
    expect(await notNullColumnOfDefinition(definition)).toBe(column);
  });
});
