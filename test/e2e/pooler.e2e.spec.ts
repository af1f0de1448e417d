import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { runMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { describeWithPgBouncer, startPgBouncer, type PgBouncer } from '../support/pgbouncer';
import { scratchProject } from '../support/scratch-project';

const OWNERSHIP_KEY = 'zdm:backfill:chargebacks-reported-at:0';

describeWithPgBouncer('behind a real PgBouncer', () => {
  let transactionPool: PgBouncer;
  let sessionPool: PgBouncer;
  beforeAll(async () => {
    transactionPool = await startPgBouncer('transaction');
    sessionPool = await startPgBouncer('session');
  });
  afterAll(async () => {
    await transactionPool?.stop();
    await sessionPool?.stop();
  });

  describe('migrate up', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase('pooler_up');
    });
    afterAll(() => db.drop());

    it('a transaction-mode PgBouncer with no other traffic is refused', async () => {
      const result = await runMigrate(['up'], { env: { DATABASE_URL: transactionPool.urlFor(db.name) } });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/transaction-mode pooler \(PgBouncer\).*Point the URL at the server directly, or at a session-mode pool/);
      // nothing applied: no app tables, no history
      expect(await db.query(`select tablename from pg_tables where schemaname not in ('pg_catalog', 'information_schema')`)).toEqual([]);
      // nothing left on any server connection of the pool
      expect(await db.query(`select pid from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`)).toEqual([]);
      const pooled = await db.query<{ pid: number; state: string }>(`select pid, state from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);
      expect(pooled.length).toBeGreaterThan(0);
      expect(pooled.every((b) => b.state === 'idle')).toBe(true);
      // the pool's server connections (all of them, one open transaction each) show the defaults
      const clients = pooled.map(() => new Client({ connectionString: transactionPool.urlFor(db.name) }));
      try {
        await Promise.all(clients.map((c) => c.connect()));
        await Promise.all(clients.map((c) => c.query('begin')));
        const seen = await Promise.all(
          clients.map(async (c) => (await c.query(`select pg_backend_pid() as pid, current_setting('lock_timeout') as lock_timeout, current_setting('statement_timeout') as statement_timeout, current_setting('zdm.session_probe', true) as probe`)).rows[0]),
        );
        expect(new Set(seen.map((s) => s.pid))).toEqual(new Set(pooled.map((b) => b.pid)));
        for (const s of seen) expect(s).toEqual({ pid: s.pid, lock_timeout: '0', statement_timeout: '0', probe: null });
        await Promise.all(clients.map((c) => c.query('commit')));
      } finally {
        await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      }
    });

    it.each([
      ['a round-robin (FIFO) transaction pool', { mode: 'transaction', roundRobin: true }],
      ['a transaction pool of one server connection', { mode: 'transaction', poolSize: 1 }],
      ['a statement-mode pool', { mode: 'statement' }],
    ] as const)('%s is refused too, nothing applied', async (_name, { mode, ...options }) => {
      const pool = await startPgBouncer(mode, options);
      try {
        const result = await runMigrate(['up'], { env: { DATABASE_URL: pool.urlFor(db.name) }, timeoutMs: 30_000 });
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/transaction-mode pooler \(PgBouncer\).*session-mode pool/);
        expect(await db.query(`select tablename from pg_tables where schemaname not in ('pg_catalog', 'information_schema')`)).toEqual([]);
        expect(await db.query(`select pid from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`)).toEqual([]);
      } finally {
        await pool.stop();
      }
    });

    it('a session-mode PgBouncer runs the example migrations', async () => {
      const result = await runMigrate(['up'], { env: { DATABASE_URL: sessionPool.urlFor(db.name) } });
      expect(result.stderr).not.toMatch(/pooler/);
      expect(result.code).toBe(0);
      expect((await db.query(`select to_regclass('chargebacks') is not null as present`))[0].present).toBe(true);
    });
  });

  describe('migrate backfill', () => {
    let db: TestDatabase;
    let project: ReturnType<typeof scratchProject>;
    const broken = () => ['--config', join(project.dir, 'migrate.config.json')];
    beforeAll(async () => {
      db = await createTestDatabase('pooler_backfill');
      expect((await runMigrate(['up'], { env: { DATABASE_URL: db.url } })).code).toBe(0);
      await db.query(`insert into chargebacks (payment_id, amount_minor, currency, status) select gen_random_uuid(), i, 'USD', 'open' from generate_series(1, 5000) i`);
      project = scratchProject('pooler-backfill');
      writeFileSync(
        join(project.dir, 'broken.backfill.ts'),
        `export const broken = { name: 'broken-column', table: 'chargebacks', set: 'reported_at = no_such_column', where: 'reported_at is null' };\n`,
      );
      project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped', backfills: 'broken.backfill.ts' }]);
    });
    afterAll(async () => {
      project?.remove();
      await db.drop();
    });

    it('through a transaction pool is refused before anything runs', async () => {
      const result = await runMigrate(['backfill', 'chargebacks-reported-at'], { env: { DATABASE_URL: transactionPool.urlFor(db.name) } });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/backfill chargebacks-reported-at refused: .*transaction-mode pooler.*session-mode pool/);
      expect((await db.query(`select to_regclass('migration_progress') is null as absent`))[0].absent).toBe(true);
      expect((await db.query<{ n: number }>(`select count(*)::int as n from chargebacks where reported_at is null`))[0].n).toBe(5000);
    });

    it('through a session pool completes', async () => {
      const result = await runMigrate(['backfill', 'chargebacks-reported-at'], { env: { DATABASE_URL: sessionPool.urlFor(db.name) } });
      expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/^chargebacks-reported-at: done, 5000 rows/m);
      expect((await db.query<{ n: number }>(`select count(*)::int as n from chargebacks where reported_at is distinct from created_at`))[0].n).toBe(0);
    });

    it('gives up waiting for another owner of the job at --lock-wait, naming it (exit 3)', async () => {
      await db.query(`update chargebacks set reported_at = null where id in (select id from chargebacks order by id limit 10)`);
      const owner = new Client({ connectionString: db.url, application_name: 'other-backfill-worker' });
      await owner.connect();
      try {
        // the job's first range (range 0), as another worker's run takes it
        const [{ pid }] = (await owner.query(`select pg_backend_pid() as pid, pg_advisory_lock(hashtext($1))`, [OWNERSHIP_KEY])).rows;
        const result = await runMigrate(['backfill', 'chargebacks-reported-at', '--lock-wait', '2s'], { env: { DATABASE_URL: db.url } });
        expect(result.code).toBe(3);
        expect(result.ms).toBeLessThan(10_000);
        expect(result.stderr).toMatch(new RegExp(`chargebacks-reported-at is running elsewhere \\(pid ${pid}, application "other-backfill-worker".*longer --lock-wait`));
      } finally {
        await owner.end();
      }
    });

    it('says on stderr who holds the job while it waits (every 10 s)', async () => {
      const owner = new Client({ connectionString: db.url, application_name: 'other-backfill-worker' });
      await owner.connect();
      try {
        const [{ pid }] = (await owner.query(`select pg_backend_pid() as pid, pg_advisory_lock(hashtext($1))`, [OWNERSHIP_KEY])).rows;
        const result = await runMigrate(['backfill', 'chargebacks-reported-at', '--lock-wait', '11s'], { env: { DATABASE_URL: db.url } });
        expect(result.code).toBe(3);
        expect(result.stderr).toMatch(new RegExp(`chargebacks-reported-at: waiting for pid ${pid}, application "other-backfill-worker".*, which runs this job, for 1\\d s`));
      } finally {
        await owner.end();
      }
    });

    it('a batch that fails with a non-retryable error (column does not exist) fails after one attempt (exit 1)', async () => {
      const result = await runMigrate([...broken(), 'backfill', 'broken-column'], { env: { DATABASE_URL: db.url } });
      expect(result.code).toBe(1);
      expect(result.stderr.match(/broken-column: batch failed \(attempt \d+\)/g)).toEqual(['broken-column: batch failed (attempt 1)']);
      expect(result.stderr).toMatch(/column "no_such_column" does not exist/);
      const [row] = await db.query<{ status: string }>(`select status from migration_progress where job = 'broken-column'`);
      expect(row.status).toBe('failed');
    });
  });
});
