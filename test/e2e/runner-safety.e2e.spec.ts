import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { columnType, historyNames, indexState, tableExists } from '../support/catalog';
import { ROOT, runMigrate, startMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { loadProbe } from '../support/load-probe';
import { scratchProject } from '../support/scratch-project';
import { waitFor } from '../support/sessions';

describe('the runner under concurrency, failure and edits', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase('runner');
  });
  afterEach(() => db.drop());

  it('twelve runners started at once all exit 0 and apply each migration exactly once', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => runMigrate(['up'], { env: { DATABASE_URL: db.url }, timeoutMs: 120_000 })));
    expect(results.map((r) => r.code)).toEqual(Array(12).fill(0));
    expect(await historyNames(db, 'migrations')).toHaveLength(2);
    expect(await historyNames(db, 'mikro_orm_migrations')).toHaveLength(2);
    const [{ ups }] = await db.query<{ ups: string }>(`select count(*) as ups from migration_runs where direction = 'up' and status = 'succeeded'`);
    expect(Number(ups)).toBe(4);
    expect(await indexState(db, 'idx_chargebacks_utr')).toBe('true');
    expect(await indexState(db, 'idx_ledger_entries_external_ref')).toBe('true');
  }, 150_000);

  it('deploy pods queued for the run lock one after another only to find nothing to do: waiters behind a run of the same release leave without it', async () => {
    expect((await runMigrate(['up'], { env: { DATABASE_URL: db.url } })).code).toBe(0);
    // a run of this release holds the lock (say, still writing its report): the next pods start
    const holder = new Client({ connectionString: db.url, application_name: 'zdm-migrate holder' });
    await holder.connect();
    try {
      await holder.query(`select pg_advisory_lock(${0x7a646d}, ${0x72756e})`);
      const results = await Promise.all(Array.from({ length: 6 }, () => runMigrate(['up', '--json', '--lock-wait', '30s'], { env: { DATABASE_URL: db.url }, timeoutMs: 60_000 })));
      expect(results.map((r) => r.code)).toEqual(Array(6).fill(0));
      const events = results.map((r) => r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string }).map((e) => e.type));
      for (const types of events) {
        expect(types).toContain('lock.unneeded');
        expect(types).not.toContain('lock.acquired');
      }
      // the lock was never free: none of them waited for it to be
      expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(20_000);
    } finally {
      await holder.end();
    }
    // with something pending, a waiter still waits for the lock: nothing runs without it
  });

  it("waiting pods loaded the pending migrations' ORM and compiler while the holder applied the same release", async () => {
    // release N-1 applied; N adds one migration to each app
    for (const [app, to] of [
      ['payments', '202401150900__create_chargebacks'],
      ['ledger', '202401150930__create_ledger_accounts_and_entries'],
    ]) {
      expect((await runMigrate(['up', '--app', app, '--to', to], { env: { DATABASE_URL: db.url } })).code).toBe(0);
    }
    const dir = mkdtempSync(join(tmpdir(), 'zdm-waiters-'));
    const probe = loadProbe(dir, { typeorm: '/node_modules/typeorm/', mikroOrm: '/node_modules/@mikro-orm/', swc: '/node_modules/@swc/' });
    // an app transaction keeps the holder's first migration retrying on its lock timeout
    const app = new Client({ connectionString: db.url });
    await app.connect();
    try {
      await app.query('begin');
      await app.query('lock table chargebacks in access share mode');
      const holder = startMigrate(['up'], { env: { DATABASE_URL: db.url } });
      // pg_locks is the cluster's: the run lock of this test's database, not another test's
      const runLockHeld = `select 1 from pg_locks where locktype = 'advisory' and classid = ${0x7a646d} and objid = ${0x72756e} and granted
                             and database = (select oid from pg_database where datname = current_database())`;
      await waitFor(async () => (await db.query(runLockHeld)).length > 0);
      const waiters = Array.from({ length: 4 }, () => runMigrate(['up', '--json', '--lock-wait', '60s'], { env: { DATABASE_URL: db.url, ...probe.env }, timeoutMs: 90_000 }));
      await new Promise((done) => setTimeout(done, 1500));
      await app.query('rollback');
      expect((await holder.done).code).toBe(0);
      const results = await Promise.all(waiters);
      expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
      for (const r of results) expect(r.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { type: string }).type)).toContain('lock.unneeded');
      // none of the waiters loaded an ORM or the TypeScript compiler
      expect(probe.all()).toEqual(Array(4).fill({ typeorm: false, mikroOrm: false, swc: false }));
      const [{ ups }] = await db.query<{ ups: string }>(`select count(*) as ups from migration_runs where direction = 'up' and status = 'succeeded'`);
      expect(Number(ups)).toBe(4);
    } finally {
      await app.end();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a reader that closes the output pipe does not stop the run: every migration applied, exit 0', async () => {
    const run = startMigrate(['up', '--json'], { env: { DATABASE_URL: db.url } });
    // closed before the CLI has started: each line it writes to stdout meets EPIPE
    run.child.stdout.destroy();
    const result = await run.done;
    expect(result.stderr).not.toMatch(/EPIPE|ERR_STREAM/);
    expect(result.code).toBe(0);
    expect(await historyNames(db, 'migrations')).toHaveLength(2);
    expect(await historyNames(db, 'mikro_orm_migrations')).toHaveLength(2);
  });

  it("a failing migration in the second app rolls back and reverts the first app's migrations of that run", async () => {
    const config = join(ROOT, 'test/fixtures/failing-ledger/migrate.config.json');
    const result = await runMigrate(['--config', config, 'up'], { env: { DATABASE_URL: db.url } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ledger\/202401151100__ledger_entries_fail_on_purpose up failed at "insert into "no_such_table" values \(1\)": relation "no_such_table" does not exist \(SQLSTATE 42P01\)/);
    expect(result.stdout).toMatch(/reverted 4 migration\(s\) this run had applied/);
    expect(await tableExists(db, 'chargebacks')).toBe(false);
    expect(await tableExists(db, 'ledger_entries')).toBe(false);
    expect(await historyNames(db, 'migrations')).toEqual([]);
    expect(await historyNames(db, 'mikro_orm_migrations')).toEqual([]);
  });

  it('--no-revert-on-failure keeps what the run applied and rolls back only the failing migration', async () => {
    const config = join(ROOT, 'test/fixtures/failing-ledger/migrate.config.json');
    const result = await runMigrate(['--config', config, 'up', '--no-revert-on-failure'], { env: { DATABASE_URL: db.url } });
    expect(result.code).toBe(1);
    expect(await historyNames(db, 'mikro_orm_migrations')).toHaveLength(2);
    expect(await columnType(db, 'ledger_entries', 'will_be_rolled_back')).toBeUndefined();
  });

  it('the dry run finishes while another session holds ACCESS EXCLUSIVE on chargebacks, and changes nothing', async () => {
    const env = { DATABASE_URL: db.url };
    expect((await runMigrate(['up', '--app', 'payments', '--to', '202401150900__create_chargebacks'], { env })).code).toBe(0);
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    await holder.query('begin');
    await holder.query('lock table chargebacks in access exclusive mode');
    try {
      const dry = await runMigrate(['up'], { env: { ...env, DRY_RUN: '1', ENV: 'staging' }, timeoutMs: 30_000 });
      const plan = await runMigrate(['plan'], { env, timeoutMs: 30_000 });
      for (const result of [dry, plan]) {
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_chargebacks_utr"/);
        expect(result.stdout).toMatch(/create index concurrently if not exists "idx_ledger_entries_external_ref"/);
        expect(result.stdout).toMatch(/202401151000__chargebacks_add_utr_reported_at: outside a transaction/);
      }
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    expect(await columnType(db, 'chargebacks', 'utr')).toBeUndefined();
    expect(await tableExists(db, 'mikro_orm_migrations')).toBe(false);
    expect(await historyNames(db, 'migrations')).toEqual(['CreateChargebacks1705309200000']);
  });

  it('plan --json is one document with the SQL and transaction mode of each pending migration', async () => {
    const result = await runMigrate(['plan', '--json', '--app', 'payments'], { env: { DATABASE_URL: db.url } });
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc.apps[0].migrations.map((m: { name: string; transactional: boolean }) => [m.name, m.transactional])).toEqual([
      ['202401150900__create_chargebacks', true],
      ['202401151000__chargebacks_add_utr_reported_at', false],
    ]);
    expect(doc.apps[0].migrations[1].statements.map((s: { concurrent: boolean }) => s.concurrent)).toEqual([false, false, true]);
  });
});

describe('an edited migration', () => {
  let db: TestDatabase;
  let project: ReturnType<typeof scratchProject>;
  beforeAll(async () => {
    db = await createTestDatabase('edited');
    project = scratchProject('edited');
    project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped' }]);
  });
  afterAll(async () => {
    project.remove();
    await db.drop();
  });

  it('shows as changed, and up refuses to run until it is restored or --allow-changed is given', async () => {
    const run = (...args: string[]) => runMigrate(['--config', join(project.dir, 'migrate.config.json'), ...args], { env: { DATABASE_URL: db.url } });
    expect((await run('up', '--to', '202401150900__create_chargebacks')).code).toBe(0);
    appendFileSync(join(project.migrations, '202401150900__create_chargebacks.ts'), '\n// an edit after it was applied\n');
    const status = JSON.parse((await run('status', '--json')).stdout);
    expect(status.apps[0].migrations.map((m: { state: string }) => m.state)).toEqual(['changed', 'pending']);
    const refused = await run('up');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/payments\/202401150900__create_chargebacks changed after it was applied: restore the applied version/);
    expect(await columnType(db, 'chargebacks', 'utr')).toBeUndefined();
    expect((await run('up', '--allow-changed')).code).toBe(0);
    expect(await columnType(db, 'chargebacks', 'utr')).toBe('character varying(64)');
  });

  it('a line-ending-only difference is not a change', async () => {
    const file = join(project.migrations, '202401151000__chargebacks_add_utr_reported_at.ts');
    const { readFileSync } = await import('node:fs');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n/g, '\r\n'));
    const status = JSON.parse((await runMigrate(['--config', join(project.dir, 'migrate.config.json'), 'status', '--json'], { env: { DATABASE_URL: db.url } })).stdout);
    expect(status.apps[0].migrations[1].state).toBe('applied');
  });
});
