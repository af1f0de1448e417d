import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { columnType, historyNames } from '../support/catalog';
import { runMigrate, startMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { scratchProject } from '../support/scratch-project';
import { holdInTransaction, sleep, waitFor } from '../support/sessions';

const FIRST = ['up', '--app', 'payments', '--to', '202401150900__create_chargebacks'];

/** App writers on chargebacks, one insert every 10 ms each, until stopped: the latency of each write. */
function appWriters(url: string, count = 2) {
  let stopped = false;
  const latencies: number[] = [];
  let failed = 0;
  const done = Promise.all(
    Array.from({ length: count }, async () => {
      const c = new Client({ connectionString: url, application_name: 'app-writer' });
      await c.connect();
      while (!stopped) {
        const started = performance.now();
        try {
          await c.query(`insert into chargebacks (payment_id, amount_minor, currency, status) values (gen_random_uuid(), 1, 'USD', 'open')`);
        } catch {
          failed++;
        }
        latencies.push(performance.now() - started);
        await sleep(10);
      }
      await c.end();
    }),
  );
  return {
    latencies,
    failed: () => failed,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

/** Samples pg_locks every few ms: each ACCESS EXCLUSIVE request on `table` that waited, by pid and the query asking for it. */
function sampleWaitingAccessExclusive(url: string, table: string) {
  let stopped = false;
  const seen: { pid: number; query: string }[] = [];
  let samples = 0;
  const c = new Client({ connectionString: url, application_name: 'lock-sampler' });
  const done = (async () => {
    await c.connect();
    while (!stopped) {
      const { rows } = await c.query<{ pid: number; query: string }>(
        `select l.pid, a.query from pg_locks l join pg_stat_activity a using (pid)
          where l.locktype = 'relation' and l.relation = to_regclass($1) and l.mode = 'AccessExclusiveLock' and not l.granted`,
        [table],
      );
      samples++;
      seen.push(...rows);
      await sleep(3);
    }
    await c.end();
  })();
  return {
    seen,
    samples: () => samples,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

describe('the look before each attempt: no lock request queued behind a long transaction', () => {
  let db: TestDatabase;
  const env = (extra: Record<string, string> = {}) => ({ DATABASE_URL: db.url, ...extra });

  beforeEach(async () => {
    db = await createTestDatabase('stall');
    expect((await runMigrate(FIRST, { env: env() })).code).toBe(0);
  });
  afterEach(() => db.drop());

  it('the first attempt queued behind a reader for a whole lock timeout and stalled app writes: now up waits without asking for the lock, then applies once the reader ends', async () => {
    const writers = appWriters(db.url);
    const reader = await holdInTransaction(db.url, 'select count(*) from chargebacks');
    const sampler = sampleWaitingAccessExclusive(db.url, 'chargebacks');
    const run = startMigrate(['up', '--app', 'payments', '--json'], { env: env({ MIGRATION_LOCK_TIMEOUT: '300ms', MIGRATION_LOCK_RETRIES: '20' }) });
    let writesWhileHeld: number[];
    try {
      // the first attempt's lock_timeout spent looking, then the retry helper waiting the reader out
      await waitFor(async () => /"type":"migration.retrying"/.test(run.output()) || run.child.exitCode !== null || undefined, 30_000, 20);
      const from = writers.latencies.length;
      await sleep(1500);
      writesWhileHeld = writers.latencies.slice(from);
      await sampler.stop();
    } finally {
      await reader.release();
    }
    const result = await run.done;
    await writers.stop();
    expect(result.code).toBe(0);
    expect(sampler.samples()).toBeGreaterThan(50);
    expect(sampler.seen).toEqual([]);
    // the app kept writing while the reader held the table: nothing queued behind the migration
    expect(writesWhileHeld.length).toBeGreaterThan(40);
    expect(Math.max(...writesWhileHeld)).toBeLessThan(250);
    expect(writers.failed()).toBe(0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const first = events.find((e) => e.type === 'migration.retrying');
    expect(first).toMatchObject({ attempt: 1, code: '55P03', notRequested: true, blockers: [expect.objectContaining({ pid: reader.pid, applicationName: 'app-reader' })] });
    expect(await columnType(db, 'chargebacks', 'utr')).toBe('character varying(64)');
  });

  it('app transactions that overlap without a gap held the look back for good: up still gets its lock on a table never free of a write for long', async () => {
    let stopped = false;
    let failed = 0;
    // three writers, each holding its insert's lock 30 ms, started 10 ms apart: some write transaction is always open
    const writers = Promise.all(
      [0, 10, 20].map(async (delay) => {
        const c = new Client({ connectionString: db.url, application_name: 'app-writer' });
        await c.connect();
        await sleep(delay);
        while (!stopped) {
          try {
            await c.query('begin');
            await c.query(`insert into chargebacks (payment_id, amount_minor, currency, status) values (gen_random_uuid(), 1, 'USD', 'open')`);
            await c.query('select pg_sleep(0.03)');
            await c.query('commit');
          } catch {
            failed++;
            await c.query('rollback').catch(() => undefined);
          }
        }
        await c.end();
      }),
    );
    let result;
    try {
      result = await runMigrate(['up', '--app', 'payments'], { env: env({ MIGRATION_LOCK_TIMEOUT: '300ms', MIGRATION_LOCK_RETRIES: '3' }) });
    } finally {
      stopped = true;
      await writers;
    }
    expect(result.code).toBe(0);
    expect(failed).toBe(0);
    expect(await columnType(db, 'chargebacks', 'utr')).toBe('character varying(64)');
  });

  it('the retry budget still runs out while the reader never ends: exit 1, lock retries exhausted, the reader named, nothing applied, no lock request queued', async () => {
    const reader = await holdInTransaction(db.url, 'select count(*) from chargebacks');
    const sampler = sampleWaitingAccessExclusive(db.url, 'chargebacks');
    let result;
    try {
      result = await runMigrate(['up', '--app', 'payments', '--json'], { env: env({ MIGRATION_LOCK_TIMEOUT: '100ms', MIGRATION_LOCK_RETRIES: '3' }) });
    } finally {
      await sampler.stop();
      await reader.release();
    }
    expect(result.code).toBe(1);
    expect(sampler.seen).toEqual([]);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const failed = events.find((e) => e.type === 'migration.failed');
    // 55P03 is what the alert calls lock_retries_exhausted
    expect(failed).toMatchObject({ code: '55P03', retries: 0 });
    expect(failed.error).toMatch(new RegExp(`the lock was not granted in 3 attempts of lock_timeout 100 ms \\(2 not made: the blocker still held its lock\\); blocking: pid ${reader.pid} \\(app-reader\\)`));
    expect(failed.lockWaitMs).toBeGreaterThan(90);
    expect(await columnType(db, 'chargebacks', 'utr')).toBeUndefined();
    expect(await historyNames(db, 'migrations')).toEqual(['CreateChargebacks1705309200000']);
  });
});

describe('the look before each attempt, in migrations of their own', () => {
  let db: TestDatabase;
  let project: ReturnType<typeof scratchProject>;
  const add = (file: string, source: string) => writeFileSync(join(project.migrations, file), source);
  const migration = (className: string, up: string[], transaction = true) => `import type { MigrationInterface, QueryRunner } from 'typeorm';
export class ${className} implements MigrationInterface {
  name = '${className}';
  ${transaction ? '' : 'transaction = false as const;'}
  async up(q: QueryRunner): Promise<void> {
${up.map((sql) => `    await q.query(${JSON.stringify(sql)});`).join('\n')}
  }
  async down(): Promise<void> {}
}
`;
  const up = (extra: Record<string, string> = {}) =>
    startMigrate(['--config', join(project.dir, 'migrate.config.json'), 'up'], { env: { DATABASE_URL: db.url, MIGRATION_LOCK_TIMEOUT: '200ms', MIGRATION_LOCK_RETRIES: '20', ...extra } });

  beforeEach(async () => {
    db = await createTestDatabase('stall_own');
    project = scratchProject('stall');
    rmSync(project.migrations, { recursive: true, force: true });
    mkdirSync(project.migrations);
    project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: ['migrations/*.ts'] }]);
    await db.query('create table ledger (id int); create table busy (id int)');
  });
  afterEach(async () => {
    project.remove();
    await db.drop();
  });

  it('a transactional migration holding ACCESS EXCLUSIVE on one table does not keep it while it waits for a reader of the next: it rolls back and waits out the reader', async () => {
    add('1700000000001-two.ts', migration('Two1700000000001', ['alter table ledger add column note text', 'alter table busy add column note text']));
    const reader = await holdInTransaction(db.url, 'select * from busy');
    const watcher = new Client({ connectionString: db.url });
    await watcher.connect();
    // a long lock timeout: waiting it out in place would hold ledger's lock, and stall its writers, for 2 s
    const run = up({ MIGRATION_LOCK_TIMEOUT: '2s' });
    const heldAt: number[] = [];
    let looks = 0;
    try {
      while (!/lock not granted/.test(run.output()) && run.child.exitCode === null) {
        const { rows } = await watcher.query(`select 1 from pg_locks where relation = to_regclass('ledger') and mode = 'AccessExclusiveLock' and granted`);
        looks++;
        if (rows.length) heldAt.push(performance.now());
        await sleep(3);
      }
    } finally {
      await watcher.end();
      await reader.release();
    }
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(looks).toBeGreaterThan(10);
    // held from the first statement to the look before the second, not for the 2 s lock timeout
    expect(heldAt.length ? heldAt[heldAt.length - 1] - heldAt[0] : 0).toBeLessThan(300);
    expect(await columnType(db, 'busy', 'note')).toBe('text');
    expect(await columnType(db, 'ledger', 'note')).toBe('text');
  });

  it('a statement whose tables the parse tree does not name (a DO block) still runs as before: one lock request under lock_timeout', async () => {
    add('1700000000002-do.ts', migration('Do1700000000002', [`DO $$ BEGIN EXECUTE 'alter table busy add column note text'; END $$`], false));
    const reader = await holdInTransaction(db.url, 'select * from busy');
    const sampler = sampleWaitingAccessExclusive(db.url, 'busy');
    const run = up();
    try {
      await waitFor(async () => /lock not granted/.test(run.output()) || run.child.exitCode !== null || undefined, 30_000, 20);
    } finally {
      await sampler.stop();
      await reader.release();
    }
    expect((await run.done).code).toBe(0);
    expect(sampler.seen.length).toBeGreaterThan(0);
    expect(await columnType(db, 'busy', 'note')).toBe('text');
  });
});
