import { columnType, historyNames, indexState } from '../support/catalog';
import { runMigrate, startMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { holdActive, holdInTransaction, sleep, waitFor } from '../support/sessions';

/** The run lock's advisory key, as libs/migrator takes it ('zdm', 'run'). */
const RUN_LOCK_KEY = [0x7a646d, 0x72756e];
const FIRST = ['up', '--app', 'payments', '--to', '202401150900__create_chargebacks'];

describe('lock-safe execution under live traffic', () => {
  let db: TestDatabase;
  const env = (extra: Record<string, string> = {}) => ({ DATABASE_URL: db.url, ...extra });

  beforeEach(async () => {
    db = await createTestDatabase('locks');
    expect((await runMigrate(FIRST, { env: env() })).code).toBe(0);
  });
  afterEach(() => db.drop());

  it('retries on lock timeout while a reader holds the table, then succeeds once it lets go', async () => {
    const reader = await holdInTransaction(db.url, 'select count(*) from chargebacks');
    const run = startMigrate(['up', '--app', 'payments'], { env: env({ MIGRATION_LOCK_TIMEOUT: '200ms', MIGRATION_LOCK_RETRIES: '20' }) });
    try {
      // the reader lets go once the runner has met its lock (or ended), however long start-up took
      await waitFor(async () => /lock not granted/.test(run.output()) || run.child.exitCode !== null || undefined, 30_000, 20);
      await sleep(300);
    } finally {
      await reader.release();
    }
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/lock not granted \(SQLSTATE 55P03\), attempt 1 of 20; retrying in \d+ ms; blocked by pid \d+ \(app-reader\)/);
    expect(await columnType(db, 'chargebacks', 'utr')).toBe('character varying(64)');
    expect(await indexState(db, 'idx_chargebacks_utr')).toBe('true');
  });

  it('when retries run out: exit 1, the blocking session named, nothing applied', async () => {
    const reader = await holdInTransaction(db.url, 'select count(*) from chargebacks');
    try {
      const result = await runMigrate(['up', '--app', 'payments'], { env: env({ MIGRATION_LOCK_TIMEOUT: '100ms', MIGRATION_LOCK_RETRIES: '3' }) });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(`the lock was not granted in 3 attempts of lock_timeout 100 ms \\(2 not made: the blocker still held its lock\\); blocking: pid ${reader.pid} \\(app-reader\\), idle in transaction, transaction open \\d+ s, query "select count\\(\\*\\) from chargebacks"`),
      );
      // the app was queued behind the migration once, not once per attempt: the reader never let go
      expect(result.stderr.match(/lock not granted \(SQLSTATE/g)).toHaveLength(1);
      expect(result.stderr).toMatch(new RegExp(`attempt 2 of 3 not made: pid ${reader.pid} \\(app-reader\\).* still holds its lock; looking again in \\d+ ms`));
    } finally {
      await reader.release();
    }
    expect(await columnType(db, 'chargebacks', 'utr')).toBeUndefined();
    expect(await historyNames(db, 'migrations')).toEqual(['CreateChargebacks1705309200000']);
    const status = JSON.parse((await runMigrate(['status', '--json', '--app', 'payments'], { env: env() })).stdout);
    expect(status.apps[0].migrations[1].state).toBe('pending');
  });

  it('a killed CREATE INDEX CONCURRENTLY leaves an INVALID index that the next up repairs', async () => {
    await db.query(`insert into chargebacks (payment_id, amount_minor, currency, status) select gen_random_uuid(), i, 'USD', 'open' from generate_series(1, 20000) i`);
    const old = await holdActive(db.url, 60, 'old-transaction');
    const run = startMigrate(['up', '--app', 'payments'], { env: env() });
    const cic = await waitFor(async () => {
      const rows = await db.query<{ pid: number }>(`select pid from pg_stat_activity where datname = current_database() and query ilike 'create index concurrently%' and pid <> pg_backend_pid()`);
      return rows[0]?.pid;
    });
    await sleep(500);
    run.child.kill('SIGKILL');
    await run.done;
    await db.query('select pg_terminate_backend($1)', [cic]);
    await old.release();
    await waitFor(async () => (await indexState(db, 'idx_chargebacks_utr')) === 'false' || undefined, 5000);
    const status = JSON.parse((await runMigrate(['status', '--json', '--app', 'payments'], { env: env() })).stdout);
    expect(status.apps[0].migrations[1]).toMatchObject({ state: 'pending', partial: true });

    const again = await runMigrate(['up', '--app', 'payments'], { env: env() });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/dropped the INVALID index idx_chargebacks_utr left by an interrupted build; building it again/);
    expect(await indexState(db, 'idx_chargebacks_utr')).toBe('true');
    expect(await historyNames(db, 'migrations')).toHaveLength(2);
  });

  it('the watchdog reports a statement past the warning time and names the session it waits for', async () => {
    const report = await holdActive(db.url, 2.5, 'long-report');
    const result = await runMigrate(['up', '--app', 'payments'], { env: env({ MIGRATION_STATEMENT_WARN: '700ms' }) });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`warn: payments/202401151000__chargebacks_add_utr_reported_at: a statement has run \\d+ ms.*blocked by pid ${report.pid} \\(long-report\\)`));
    expect(await indexState(db, 'idx_chargebacks_utr')).toBe('true');
  });

  it('SIGTERM cancels the running statement, records the migration failed, releases the lock and exits 143', async () => {
    const old = await holdActive(db.url, 60, 'old-transaction');
    const run = startMigrate(['up', '--app', 'payments'], { env: env() });
    await waitFor(async () => (await db.query(`select 1 from pg_stat_activity where datname = current_database() and query ilike 'create index concurrently%'`)).length > 0 || undefined);
    run.child.kill('SIGTERM');
    const result = await run.done;
    await old.release();
    expect(result.code).toBe(143);
    expect(result.stderr).toMatch(/interrupted by SIGTERM/);
    const [entry] = await db.query<{ status: string; error: string }>(`select status, error from migration_runs where migration = '202401151000__chargebacks_add_utr_reported_at' order by id desc limit 1`);
    expect(entry).toEqual({ status: 'failed', error: expect.stringMatching(/SIGTERM/) });
    const [{ held }] = await db.query<{ held: string }>(`select count(*) as held from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`);
    expect(Number(held)).toBe(0);
    expect((await runMigrate(['up', '--app', 'payments'], { env: env() })).code).toBe(0);
    expect(await indexState(db, 'idx_chargebacks_utr')).toBe('true');
  });

  it('a second runner waits for the run lock, says who holds it, and gives up with exit 3 after --lock-wait', async () => {
    const { Client } = await import('pg');
    // another database on the same server has a run of its own: it neither blocks this one nor is named
    const elsewhere = await createTestDatabase('elsewhere');
    const other = new Client({ connectionString: elsewhere.url, application_name: 'other-database-pod' });
    const holder = new Client({ connectionString: db.url, application_name: 'deploy-pod-1' });
    await other.connect();
    await other.query('select pg_advisory_lock($1, $2)', RUN_LOCK_KEY);
    await holder.connect();
    await holder.query('select pg_advisory_lock($1, $2)', RUN_LOCK_KEY);
    try {
      const [{ pid }] = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid')).rows;
      const result = await runMigrate(['up', '--lock-wait', '1s'], { env: env() });
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(new RegExp(`the run lock on .+ is still held by pid ${pid} \\(deploy-pod-1\\)`));
      expect(result.stderr).not.toMatch(/other-database-pod/);
      await holder.query('select pg_advisory_unlock($1, $2)', RUN_LOCK_KEY);
      expect((await runMigrate(['up', '--lock-wait', '1s'], { env: env() })).code).toBe(0);
    } finally {
      await holder.end();
      await other.end();
      await elsewhere.drop();
    }
  });
});
