import { analyzeSql, sqlHash } from './analyze';

describe('analyzeSql', () => {
  it('splits a multi-statement string and marks what must run outside a transaction', async () => {
    const statements = await analyzeSql(
      `ALTER TABLE "chargebacks" ADD "utr" character varying(64); CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_chargebacks_utr" ON public."chargebacks" ("utr");`,
    );
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatchObject({ text: 'ALTER TABLE "chargebacks" ADD "utr" character varying(64)', concurrent: false, ddl: true, readOnly: false });
    expect(statements[1]).toMatchObject({ concurrent: true, ddl: true, concurrentIndex: { name: 'idx_chargebacks_utr', schema: 'public' } });
  });

  it.each([
    ['select count(*) from chargebacks', true],
    ['select * from chargebacks for update', false],
    ['select * into copy from chargebacks', false],
    ['show lock_timeout', true],
    ['update chargebacks set utr = null', false],
  ])('%s is read-only: %s', async (sql, readOnly) => {
    expect((await analyzeSql(sql))[0].readOnly).toBe(readOnly);
  });

  it.each(['DROP INDEX CONCURRENTLY idx_a', 'REINDEX INDEX CONCURRENTLY idx_a'])('%s must run outside a transaction', async (sql) => {
    expect((await analyzeSql(sql))[0].concurrent).toBe(true);
  });

  it('keeps a DO block whole', async () => {
    const statements = await analyzeSql(`DO $$ BEGIN PERFORM 1; END $$; select 1`);
    expect(statements.map((s) => s.text)).toEqual(['DO $$ BEGIN PERFORM 1; END $$', 'select 1']);
  });

  it('keeps SQL it cannot parse as one statement for the server to judge', async () => {
    expect(await analyzeSql('CREATE WIDGET x')).toEqual([expect.objectContaining({ text: 'CREATE WIDGET x', readOnly: false })]);
  });

  it('hashes statements regardless of whitespace', () => {
    expect(sqlHash('select  1\n')).toBe(sqlHash('select 1'));
  });
});
