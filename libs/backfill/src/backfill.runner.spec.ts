import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database';
import { holdInTransaction, sleep, waitFor } from '../../../test/support/sessions';
import { requestedMajor, startPinnedPostgres } from '../../../test/support/pinned-postgres';
import { startEmbeddedPostgres } from '../../db/src/embedded-postgres';
import { defineBackfill } from './backfill-job';
import { runBackfill } from './backfill.runner';
import { BackfillBusyError } from './errors/backfill-busy.error';
import { BackfillFailedError } from './errors/backfill-failed.error';
import { readProgress } from './progress-table';

const CHARGEBACKS = `
  CREATE TABLE "chargebacks" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "payment_id" uuid NOT NULL, "amount_minor" bigint NOT NULL, "currency" character(3) NOT NULL, "status" character varying(32) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "utr" character varying(64), "reported_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_64643c031958b172f11fa1bc9e4" PRIMARY KEY ("id"));
  CREATE INDEX "idx_chargebacks_utr" ON "chargebacks" ("utr");
  -- every row change is logged, to prove none is done twice
  CREATE TABLE updates (id bigint not null);
  CREATE FUNCTION log_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO updates VALUES (NEW.id); RETURN NEW; END $$;
  CREATE TRIGGER log_update AFTER UPDATE ON chargebacks FOR EACH ROW EXECUTE FUNCTION log_update();`;

const job = defineBackfill({ name: 'chargebacks-reported-at', table: 'chargebacks', set: 'reported_at = created_at', where: 'reported_at IS NULL' });

async function seed(db: Pick<TestDatabase, 'query'>, rows: number): Promise<void> {
  await db.query(CHARGEBACKS);
  if (rows) await db.query(`insert into chargebacks (payment_id, amount_minor, currency, status, created_at) select gen_random_uuid(), i, 'USD', 'open', now() - i * interval '1 second' from generate_series(1, $1) i`, [rows]);
}

async function counts(db: TestDatabase) {
  const [row] = await db.query<{ left: number; updates: number; distinct: number; max_repeat: number }>(`
    select (select count(*)::int from chargebacks where reported_at is distinct from created_at) as left,
           (select count(*)::int from updates) as updates,
           (select count(distinct id)::int from updates) as distinct,
           (select coalesce(max(c), 0)::int from (select count(*) as c from updates group by id) x) as max_repeat`);
  return row;
}

/**
 * Index entries read from chargebacks' primary key, once at least `rows` of them have arrived: the
 * batch connections' statistics reach the server when they close.
 */
async function primaryKeyReads(db: TestDatabase, rows: number): Promise<number> {
  return waitFor(async () => {
    const [row] = await db.query<{ n: string }>(`select s.idx_tup_read as n from pg_stat_user_indexes s join pg_index i using (indexrelid) where s.relname = 'chargebacks' and i.indisprimary`);
    return Number(row?.n) >= rows ? Number(row.n) : undefined;
  });
}

/**
 * 60,000 rows, and a job run in a process of its own, killed with SIGKILL once it has done 10,000
 * of them: the counts once the server has finished what the process had sent.
 */
async function killedPartWay(db: TestDatabase) {
  await seed(db, 60_000);
  const script = `require(${JSON.stringify(join(__dirname, '../dist/index.js'))}).runBackfill({ url: process.env.URL, job: ${JSON.stringify(job)}, batchSize: 1000, maxRowsPerSecond: 15000 })`;
  const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, URL: db.url }, stdio: 'ignore' });
  await waitFor(async () => (await counts(db)).updates >= 10_000 || undefined, 30_000, 50);
  child.kill('SIGKILL');
  await new Promise((done) => child.on('close', done));
  // the server finishes what the killed process had sent (a COMMIT among it) before its backends go
  await waitFor(async () => (await db.query(`select 1 from pg_stat_activity where datname = current_database() and application_name like 'zdm-backfill %'`)).length === 0 || undefined, 10_000, 20);
  return counts(db);
}

describe('runBackfill against a real server', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase('backfill');
  });
  afterEach(() => db.drop());

  it('moves every row once, in batches, and records progress', async () => {
    await seed(db, 30_000);
    const result = await runBackfill({ url: db.url, job, batchSize: 2_000 });
    expect(result).toMatchObject({ status: 'done', rows: 30_000 });
    expect(await counts(db)).toEqual({ left: 0, updates: 30_000, distinct: 30_000, max_repeat: 1 });
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const [progress] = await readProgress(client, job.name);
    await client.end();
    expect(progress).toMatchObject({ status: 'done', rowsDone: 30_000, estimatedTotal: 30_000 });
  });

  it('reads a few index entries per row on a table PostgreSQL has not analyzed yet, not the whole key range per batch', async () => {
    await seed(db, 20_000);
    await db.query('alter table chargebacks set (autovacuum_enabled = off)');
    const [{ analyzed }] = await db.query<{ analyzed: boolean }>(`select exists (select 1 from pg_stats where tablename = 'chargebacks') as analyzed`);
    expect(analyzed).toBe(false);
    // 200 batches of 100 rows (the smallest size; a 1 ms target keeps it there)
    expect(await runBackfill({ url: db.url, job, batchSize: 100, targetBatchMs: 1 })).toMatchObject({ status: 'done', rows: 20_000 });
    const read = await primaryKeyReads(db, 20_000);
    // one ordered walk finds each row and the update looks each up: a few reads per row. A sorted
    // read of the remaining range in every batch reads about 2,000,000 here
    expect(read).toBeLessThan(200_000);
  });

  it('found each batch\'s end by walking the key index: two index entries read a row, where unique integer keys need one', async () => {
    await seed(db, 20_000);
    expect(await runBackfill({ url: db.url, job, batchSize: 2_000 })).toMatchObject({ status: 'done', rows: 20_000 });
    const read = await primaryKeyReads(db, 20_000);
    // (lastKey, lastKey + size] holds size rows at most: the update's own walk is the only one
    expect(read).toBeLessThan(22_000);
  });

  it('does every row once where the keys have gaps, or repeat: batch ends from the index there', async () => {
    await seed(db, 30_000);
    // a gap, then a stretch with two keys in three missing, then dense keys again
    await db.query('delete from chargebacks where id between 2000 and 9000 or (id between 15000 and 22000 and id % 3 <> 0)');
    const [{ rows }] = await db.query<{ rows: number }>('select count(*)::int as rows from chargebacks');
    expect(await runBackfill({ url: db.url, job, batchSize: 500 })).toMatchObject({ status: 'done', rows });
    expect(await counts(db)).toEqual({ left: 0, updates: rows, distinct: rows, max_repeat: 1 });
    // a key that repeats (five rows a value): a key range can hold more rows than keys
    await db.query('truncate chargebacks, updates; drop table migration_progress');
    await db.query(`insert into chargebacks (payment_id, amount_minor, currency, status, created_at) select gen_random_uuid(), i, 'USD', 'open', now() - i * interval '1 second' from generate_series(1, 20000) i`);
    await db.query('alter table chargebacks add column batch_no bigint; update chargebacks set batch_no = id / 5; create index on chargebacks (batch_no); truncate updates');
    expect(await runBackfill({ url: db.url, job: { ...job, name: 'by-batch-no', keyColumn: 'batch_no' }, batchSize: 500 })).toMatchObject({ status: 'done', rows: 20_000 });
    expect(await counts(db)).toEqual({ left: 0, updates: 20_000, distinct: 20_000, max_repeat: 1 });
  });

  it('a session that came to wait on a long batch no one contended waited for the rest of it, not a few milliseconds', async () => {
    await seed(db, 250_000);
    const app = new Client({ connectionString: db.url, application_name: 'payments-app' });
    await app.connect();
    try {
      // batches aim at 3 s while no one contends (a quarter of that once someone does): the second
      // is the largest there is, 100,000 rows, about a second here
      let first!: () => void;
      const firstBatch = new Promise<void>((done) => (first = done));
      const run = runBackfill({ url: db.url, job, batchSize: 80_000, targetBatchMs: 4_000, onBatch: () => first() });
      await firstBatch;
      // the next batch is under way: its first row is changed and locked until it commits
      const [{ last }] = await db.query<{ last: string }>(`select last_key::text as last from migration_progress where job = $1`, [job.name]);
      await sleep(150);
      const t = performance.now();
      await app.query(`update chargebacks set status = 'review' where id = $1`, [Number(last) + 1]);
      const waited = performance.now() - t;
      expect(await run).toMatchObject({ status: 'done', rows: 250_000 });
      // the cancelled batch's rows rolled back and were done again once; the app's update is the one more
      expect(await counts(db)).toMatchObject({ left: 0, updates: 250_001, distinct: 250_000 });
      // the batch is cancelled once the watch sees the wait, and done again in short SKIP LOCKED batches
      expect(waited).toBeLessThan(400);
    } finally {
      await app.end();
    }
  }, 60_000);

  it('finishes at once on an empty table', async () => {
    await seed(db, 0);
    expect(await runBackfill({ url: db.url, job })).toMatchObject({ status: 'done', rows: 0 });
  });

  it('resumes where a process killed with SIGKILL stopped: every row done, none twice, nothing from zero', async () => {
    const before = await killedPartWay(db);
    expect(before.left).toBeGreaterThan(0);
    const result = await runBackfill({ url: db.url, job });
    expect(result.rows).toBe(before.left);
    const after = await counts(db);
    expect(after).toEqual({ left: 0, updates: 60_000, distinct: 60_000, max_repeat: 1 });
  });

  it('cuts a killed one-worker job in two when it resumes with two workers: every row once', async () => {
    const before = await killedPartWay(db);
    const result = await runBackfill({ url: db.url, job, workers: 2 });
    expect(result).toMatchObject({ status: 'done', rows: before.left, ranges: 2 });
    expect(await counts(db)).toEqual({ left: 0, updates: 60_000, distinct: 60_000, max_repeat: 1 });
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const ranges = await readProgress(client, job.name);
    await client.end();
    // the two ranges meet: the first ends where the second starts, over the whole key range
    expect(ranges.map((r) => r.status)).toEqual(['done', 'done']);
    expect(ranges[0].rangeStart).toBe('1');
    expect(BigInt(ranges[1].rangeStart)).toBe(BigInt(ranges[0].rangeEnd) + 1n);
    expect(ranges[1].rangeEnd).toBe('60000');
    expect(ranges[0].rowsDone + ranges[1].rowsDone).toBe(60_000);
  });

  it('misses no row that app updates move to another page while it runs', async () => {
    await seed(db, 30_000);
    let stop = false;
    let appUpdates = 0;
    const app = new Client({ connectionString: db.url, application_name: 'payments-app' });
    await app.connect();
    // each app update writes a new row version elsewhere (a new ctid), ahead of and behind the batches
    const writer = (async () => {
      while (!stop) {
        const { rowCount } = await app.query(`update chargebacks set status = 'review' where id = 1 + floor(random() * 30000)::int and reported_at is null`);
        appUpdates += rowCount ?? 0;
      }
    })();
    const result = await runBackfill({ url: db.url, job, batchSize: 500, maxRowsPerSecond: 20_000 });
    stop = true;
    await writer;
    await app.end();
    expect(result).toMatchObject({ status: 'done', rows: 30_000 });
    expect(appUpdates).toBeGreaterThan(0);
    const [row] = await db.query<{ left: number; backfilled: number }>(
      `select (select count(*)::int from chargebacks where reported_at is distinct from created_at) as left,
              (select count(*)::int from updates) as backfilled`,
    );
    // every row done, and the backfill's own updates are one a row (the log also holds the app's)
    expect(row).toEqual({ left: 0, backfilled: 30_000 + appUpdates });
  });

  it('skips rows an app transaction holds, and does them once it lets go', async () => {
    await seed(db, 10_000);
    const app = await holdInTransaction(db.url, 'select * from chargebacks where id between 5000 and 5099 for update', 'payments-app');
    const run = runBackfill({ url: db.url, job, batchSize: 1_000 });
    await waitFor(async () => (await counts(db)).updates >= 9_900 || undefined);
    expect((await counts(db)).left).toBe(100);
    await app.release();
    expect(await run).toMatchObject({ status: 'done', rows: 10_000 });
    expect(await counts(db)).toEqual({ left: 0, updates: 10_000, distinct: 10_000, max_repeat: 1 });
  });

  it('with no one contending, a backfill locked every row before it updated it: a WAL record a row more than a plain UPDATE', async () => {
    // WAL positions are the server's, and the other test files write to the shared server meanwhile:
    // this comparison runs on a server of its own, of the major under test
    const dir = mkdtempSync(join(tmpdir(), 'zdm-wal-'));
    const major = requestedMajor();
    const server = major ? await startPinnedPostgres(major, join(dir, 'pg')) : await startEmbeddedPostgres({ dataDir: join(dir, 'pg') }).then((e) => ({ url: e.target.url, stop: e.stop }));
    const own = new Client({ connectionString: server.url });
    try {
      await own.connect();
      const query = async <T,>(sql: string, params?: unknown[]) => (await own.query(sql, params)).rows as T[];
      await seed({ query }, 20_000);
      await own.query('drop trigger log_update on chargebacks');
      await own.query('create table plain_copy (like chargebacks including all)');
      await own.query('insert into plain_copy overriding system value select * from chargebacks');
      await own.query('vacuum analyze chargebacks');
      await own.query('vacuum analyze plain_copy');
      // from a checkpoint each, so full-page images fall alike
      const walOf = async (work: () => Promise<unknown>) => {
        await own.query('checkpoint');
        const [{ lsn }] = await query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn');
        await work();
        const [{ bytes }] = await query<{ bytes: string }>('select pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::bigint as bytes', [lsn]);
        return Number(bytes);
      };
      const plain = await walOf(() => own.query('update plain_copy set reported_at = created_at where reported_at is null'));
      const ours = await walOf(() => runBackfill({ url: server.url, job }));
      const [{ left }] = await query<{ left: number }>('select count(*)::int as left from chargebacks where reported_at is null');
      expect(left).toBe(0);
      // FOR UPDATE SKIP LOCKED writes a lock record a row (about 54 B) before the update: 13% more
      // than the plain UPDATE's WAL; batches of key ranges write what the plain UPDATE writes, and a
      // little for the checkpoint row of each batch
      expect(ours / plain).toBeLessThan(1.05);
    } finally {
      await own.end().catch(() => undefined);
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a progress table an older release made (v1, no skipped_after) is upgraded, and a job it left half done finishes', async () => {
    await seed(db, 5_000);
    await db.query(`
      create table migration_progress (
        job text not null, range_id integer not null, range_start bigint not null, range_end bigint not null, last_key bigint not null,
        rows_done bigint not null default 0, estimated_total bigint,
        status text not null default 'running' check (status in ('running', 'paused', 'done', 'failed')),
        started_at timestamptz not null default now(), updated_at timestamptz not null default now(), last_error text, owner text,
        primary key (job, range_id));
      comment on table migration_progress is 'zdm backfill progress v1'`);
    // the older release had done ids 1 to 2000 when it stopped
    await db.query(`update chargebacks set reported_at = created_at where id <= 2000`);
    await db.query(`insert into migration_progress (job, range_id, range_start, range_end, last_key, rows_done, estimated_total, status) values ($1, 0, 1, 5000, 2000, 2000, 5000, 'paused')`, [job.name]);
    const result = await runBackfill({ url: db.url, job, batchSize: 1_000 });
    expect(result).toMatchObject({ status: 'done', rows: 3_000 });
    expect((await counts(db)).left).toBe(0);
    const [{ comment, column }] = await db.query<{ comment: string; column: boolean }>(
      `select obj_description('migration_progress'::regclass, 'pg_class') as comment,
              exists (select 1 from information_schema.columns where table_name = 'migration_progress' and column_name = 'skipped_after') as column`,
    );
    expect({ comment, column }).toEqual({ comment: 'zdm backfill progress v2', column: true });
  });

  it('splits the key range over two workers, each row done once', async () => {
    await seed(db, 20_000);
    const result = await runBackfill({ url: db.url, job, workers: 2, batchSize: 1_000 });
    expect(result).toMatchObject({ status: 'done', rows: 20_000, ranges: 2 });
    expect(await counts(db)).toEqual({ left: 0, updates: 20_000, distinct: 20_000, max_repeat: 1 });
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const ranges = await readProgress(client, job.name);
    await client.end();
    expect(ranges.map((r) => [r.rangeId, r.status, r.rowsDone])).toEqual([
      [0, 'done', 10_000],
      [1, 'done', 10_000],
    ]);
  });

  it('retries a batch that met a table lock (55P03) and goes on once the lock is gone', async () => {
    await seed(db, 50_000);
    const codes: string[] = [];
    const held: { lock?: { release(): Promise<void> } } = {};
    const run = runBackfill({
      url: db.url,
      job,
      batchSize: 500,
      maxRowsPerSecond: 20_000,
      onBatchError: (error) => {
        codes.push((error as { code?: string }).code ?? String(error));
        void held.lock?.release();
      },
    });
    await waitFor(async () => (await counts(db)).updates > 0 || undefined);
    held.lock = await holdInTransaction(db.url, 'lock table chargebacks in access exclusive mode');
    expect(await run).toMatchObject({ status: 'done', rows: 50_000 });
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set(['55P03']));
    expect((await counts(db)).max_repeat).toBe(1);
  });

  it('fails a batch at once on an error a retry cannot fix, and marks the job failed', async () => {
    await seed(db, 5_000);
    const failing = defineBackfill({ ...job, name: 'divide-by-zero', set: 'amount_minor = amount_minor / (id - 2500)' });
    const errors: number[] = [];
    const run = runBackfill({ url: db.url, job: failing, batchSize: 1_000, maxBatchRetries: 3, onBatchError: (_e, attempt) => errors.push(attempt) });
    await expect(run).rejects.toBeInstanceOf(BackfillFailedError);
    await expect(run).rejects.toThrow(/backfill divide-by-zero failed after 1 attempt of its batch: division by zero; fix the cause, then run it again: it resumes where it stopped/);
    expect(errors).toEqual([1]);
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const [progress] = await readProgress(client, 'divide-by-zero');
    await client.end();
    expect(progress).toMatchObject({ status: 'failed', lastError: 'division by zero' });
    // the batches before the failing row committed with their checkpoint; nothing after it ran
    expect(progress.rowsDone).toBeGreaterThan(0);
    expect(progress.rowsDone).toBeLessThan(2_500);
    expect((await counts(db)).updates).toBe(progress.rowsDone);
  });

  it('lets one owner run a job at a time: a second runner waits, then gives up', async () => {
    await seed(db, 200_000);
    const abort = new AbortController();
    const first = runBackfill({ url: db.url, job, batchSize: 500, maxRowsPerSecond: 20_000, owner: 'first', signal: abort.signal });
    await waitFor(async () => (await counts(db)).updates > 0 || undefined);
    const second = runBackfill({ url: db.url, job, ownerWaitMs: 500, owner: 'second' });
    await expect(second).rejects.toBeInstanceOf(BackfillBusyError);
    await expect(second).rejects.toThrow(/is running elsewhere \(pid \d+, application "zdm-backfill chargebacks-reported-at", from 127.0.0.1, owner first\)/);
    abort.abort();
    expect(await first).toMatchObject({ status: 'stopped' });
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const [progress] = await readProgress(client, job.name);
    await client.end();
    expect(progress).toMatchObject({ status: 'paused', owner: 'first' });
    expect((await runBackfill({ url: db.url, job })).status).toBe('done');
    expect((await counts(db)).max_repeat).toBe(1);
  });
});
