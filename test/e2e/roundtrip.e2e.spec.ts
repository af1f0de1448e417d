import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { columnType, historyNames, indexState, tableExists } from '../support/catalog';
import { cleanEnv, ROOT, runMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';

const ALL = [
  'payments:202401150900__create_chargebacks',
  'payments:202401151000__chargebacks_add_utr_reported_at',
  'ledger:202401150930__create_ledger_accounts_and_entries',
  'ledger:202401151030__ledger_entries_add_external_ref',
];

interface StatusDocument {
  apps: { app: string; orm: string; migrations: { name: string; state: string; appliedAt: string | null; durationMs: number | null }[] }[];
}

describe('both apps: up, status, revert and up again against a real server', () => {
  let db: TestDatabase;
  const env = () => ({ DATABASE_URL: db.url });
  const status = async (): Promise<StatusDocument> => {
    const result = await runMigrate(['status', '--json'], { env: env() });
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout);
  };
  const states = (doc: StatusDocument) => doc.apps.flatMap((a) => a.migrations.map((m) => `${a.app}:${m.name}:${m.state}`));

  beforeAll(async () => {
    db = await createTestDatabase('roundtrip');
  });
  afterAll(() => db.drop());

  it('lists every migration of both apps as pending on a fresh database', async () => {
    expect(states(await status())).toEqual(ALL.map((m) => `${m}:pending`));
  });

  it('applies the four migrations, payments then ledger, each with its duration', async () => {
    const result = await runMigrate(['up'], { env: env() });
    expect(result.code).toBe(0);
    const applied = result.stderr.split('\n').filter((l) => l.startsWith('applied'));
    expect(applied.map((l) => l.split(/\s+/).slice(1, 3).join(':'))).toEqual(ALL);
    for (const line of applied) expect(line).toMatch(/\d+(\.\d+)? (ms|s)$/);
    expect(result.stdout).toMatch(/applied 4 migration\(s\) in/);
  });

  it('builds exactly the schema of the examples, checked from the catalog', async () => {
    expect(await columnType(db, 'chargebacks', 'utr')).toBe('character varying(64)');
    expect(await columnType(db, 'chargebacks', 'reported_at')).toBe('timestamp with time zone');
    expect(await columnType(db, 'chargebacks', 'currency')).toBe('character(3)');
    expect(await columnType(db, 'chargebacks', 'status')).toBe('character varying(32)');
    expect(await columnType(db, 'ledger_entries', 'external_ref')).toBe('character varying(64)');
    expect(await indexState(db, 'idx_chargebacks_utr')).toBe('true');
    expect(await indexState(db, 'idx_ledger_entries_external_ref')).toBe('true');
    const [{ identity }] = await db.query<{ identity: string }>(`select is_identity || ':' || identity_generation as identity from information_schema.columns where table_name = 'chargebacks' and column_name = 'id'`);
    expect(identity).toBe('YES:ALWAYS');
  });

  it("records each migration in the ORM's own history table, as the plain CLIs write it", async () => {
    expect(await historyNames(db, 'migrations')).toEqual(['CreateChargebacks1705309200000', 'ChargebacksAddUtrReportedAt1705312800000']);
    expect(await historyNames(db, 'mikro_orm_migrations')).toEqual(['202401150930__create_ledger_accounts_and_entries', '202401151030__ledger_entries_add_external_ref']);
  });

  it('agrees with the plain TypeORM CLI, which sees nothing pending', () => {
    const out = execFileSync(join(ROOT, 'node_modules/.bin/typeorm-ts-node-commonjs'), ['migration:show', '-d', 'apps/payments/src/data-source.ts'], {
      cwd: ROOT,
      env: cleanEnv({ DATABASE_URL: db.url, TS_NODE_TRANSPILE_ONLY: 'true' }),
    }).toString();
    expect(out).toMatch(/\[X\] \d+ CreateChargebacks1705309200000/);
    expect(out).toMatch(/\[X\] \d+ ChargebacksAddUtrReportedAt1705312800000/);
    expect(out).not.toMatch(/\[ \]/);
  });

  it('agrees with the plain MikroORM CLI, which sees nothing pending', () => {
    const out = execFileSync(join(ROOT, 'node_modules/.bin/mikro-orm'), ['migration:pending', '--config', 'apps/ledger/src/mikro-orm.config.ts'], {
      cwd: ROOT,
      env: cleanEnv({ DATABASE_URL: db.url }),
    }).toString();
    expect(out).not.toMatch(/202401150930|202401151030/);
  });

  it('shows every migration applied, with applied time and duration', async () => {
    const doc = await status();
    expect(states(doc)).toEqual(ALL.map((m) => `${m}:applied`));
    for (const m of doc.apps.flatMap((a) => a.migrations)) {
      expect(new Date(m.appliedAt!).getTime()).toBeGreaterThan(Date.now() - 120_000);
      expect(m.durationMs).toEqual(expect.any(Number));
    }
  });

  it('says nothing is pending when run again', async () => {
    const result = await runMigrate(['up'], { env: env() });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/nothing pending/);
  });

  it('reverts the whole last run across apps, newest first', async () => {
    const result = await runMigrate(['revert'], { env: env() });
    expect(result.code).toBe(0);
    const reverted = result.stderr.split('\n').filter((l) => l.startsWith('reverted '));
    expect(reverted.map((l) => l.split(/\s+/).slice(1, 3).join(':'))).toEqual([...ALL].reverse());
    expect(await tableExists(db, 'chargebacks')).toBe(false);
    expect(await tableExists(db, 'ledger_entries')).toBe(false);
    expect(states(await status())).toEqual(ALL.map((m) => `${m}:pending`));
  });

  it('applies everything again after the revert', async () => {
    expect((await runMigrate(['up'], { env: env() })).code).toBe(0);
    expect(states(await status())).toEqual(ALL.map((m) => `${m}:applied`));
    expect(await indexState(db, 'idx_chargebacks_utr')).toBe('true');
  });

  it('reverts one app one step with down, and --to keeps the named migration', async () => {
    expect((await runMigrate(['down', '--app', 'ledger'], { env: env() })).code).toBe(0);
    expect(await columnType(db, 'ledger_entries', 'external_ref')).toBeUndefined();
    expect((await runMigrate(['up', '--app', 'ledger'], { env: env() })).code).toBe(0);
    expect((await runMigrate(['down', '--app', 'payments', '--to', '202401150900__create_chargebacks'], { env: env() })).code).toBe(0);
    expect(await tableExists(db, 'chargebacks')).toBe(true);
    expect(await columnType(db, 'chargebacks', 'utr')).toBeUndefined();
  });
});
