import { hostname } from 'node:os';
import { retry, sessionPoolingReason, type RetryFailure } from '@zdm/db';
import { Client } from 'pg';
import type { BackfillJob } from './backfill-job';
import { BackfillBusyError } from './errors/backfill-busy.error';
import { BackfillFailedError } from './errors/backfill-failed.error';
import { BackfillPoolerError } from './errors/backfill-pooler.error';
import { ensureProgressTable, planRanges, readProgress, resetJob, setRangeStatus, PROGRESS_TABLE, type ProgressRow } from './progress-table';
import { quoteQualified } from './sql';

export interface BackfillProgress {
  job: string;
  rowsDone: number;
  estimatedTotal: number | null;
  rowsPerSecond: number;
  etaSeconds: number | null;
  batchSize: number;
  /** Why the job is holding back right now, if it is. */
  paused?: string;
}

export interface BackfillResult {
  job: string;
  status: 'done' | 'stopped';
  /** Rows this run changed. */
  rows: number;
  durationMs: number;
  rowsPerSecond: number;
  ranges: number;
}

export interface BackfillOptions {
  url: string;
  job: BackfillJob;
  batchSize?: number;
  /** The time a batch must stay under; default the job's, else 200 ms. */
  targetBatchMs?: number;
  /** Splits the key range over this many workers, each with its own connection and lock. */
  workers?: number;
  maxRowsPerSecond?: number;
  signal?: AbortSignal;
  onProgress?: (progress: BackfillProgress) => void;
  onBatchError?: (error: unknown, attempt: number) => void;
  onBatch?: (rows: number, seconds: number) => void;
  /** Attempts of one batch in all before the job fails (default 5). */
  maxBatchRetries?: number;
  /** Hold back while this many sessions wait for locks on the table, or while replicas lag this much. */
  pauseWhen?: { lockWaitingSessions?: number; replicationLagMs?: number };
  /** How long to wait for another owner of the job (default 10 minutes). */
  ownerWaitMs?: number;
  /** Called about every 10 s while another session owns the job, naming it. */
  onOwnerWait?: (owner: string, waitedMs: number) => void;
  /** Who runs it, for the progress table (default host:pid). */
  owner?: string;
  /** Applied to what is stored (migration_progress.last_error): a batch's error can quote a secret. */
  redact?: (text: string) => string;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((done) => {
    if (signal?.aborted) return done();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), done()), { once: true });
  });

const MIN_BATCH = 100;
const AIM_FRACTION = 0.25;
const MAX_BATCH = 50_000;

/** Shared counters of one run, over all workers. */
class RunMeter {
  rows = 0;
  readonly started = performance.now();
  constructor(
    readonly job: string,
    readonly doneBefore: number,
    readonly estimatedTotal: number | null,
  ) {}
  rate(): number {
    const seconds = (performance.now() - this.started) / 1000;
    return seconds > 0 ? this.rows / seconds : 0;
  }
  progress(batchSize: number, paused?: string): BackfillProgress {
    const rowsDone = this.doneBefore + this.rows;
    const rate = this.rate();
    const left = this.estimatedTotal === null ? null : Math.max(this.estimatedTotal - rowsDone, 0);
    return { job: this.job, rowsDone, estimatedTotal: this.estimatedTotal, rowsPerSecond: Math.round(rate), etaSeconds: left !== null && rate > 0 ? Math.round(left / rate) : null, batchSize, paused };
  }
}

/**
 * Runs a backfill to the end: keyset batches by primary key, each ONE statement that picks the
 * next rows with FOR UPDATE SKIP LOCKED, changes them and moves the checkpoint in
 * migration_progress, so a process killed at any moment resumes exactly where it stopped.
 */
export async function runBackfill(options: BackfillOptions): Promise<BackfillResult> {
  const { job } = options;
  const table = quoteQualified(job.table);
  const key = quoteQualified(job.keyColumn ?? 'id');
  const admin = new Client({ connectionString: options.url, application_name: `zdm-backfill ${job.name}` });
  admin.on('error', () => undefined);
  await admin.connect();
  let meter: RunMeter;
  let ranges: ProgressRow[];
  try {
    // ownership is a session advisory lock: refused before anything runs where a pooler would
    // move our statements between server sessions
    const pooled = await sessionPoolingReason(admin, async () => {
      const second = new Client({ connectionString: options.url, application_name: 'zdm-pooler-check' });
      second.on('error', () => undefined);
      await second.connect();
      return second;
    });
    if (pooled) throw new BackfillPoolerError(job.name, pooled);
    await ensureProgressTable(admin);
    ranges = await readProgress(admin, job.name);
    if (!ranges.length || ranges.every((r) => r.status === 'done')) {
      // a fresh job, or a done job run again (rows may have arrived since): plan the key range anew
      if (ranges.length) await resetJob(admin, job.name);
      const { rows } = await admin.query(`select min(${key})::text as min, max(${key})::text as max from ${table}`);
      if (rows[0].min === null) return { job: job.name, status: 'done', rows: 0, durationMs: 0, rowsPerSecond: 0, ranges: 0 };
      const estimate = await estimateRows(admin, table, job.where);
      await planRanges(admin, job.name, rows[0].min, rows[0].max, Math.max(1, options.workers ?? 1), estimate);
      ranges = await readProgress(admin, job.name);
    }
    meter = new RunMeter(job.name, ranges.reduce((n, r) => n + r.rowsDone, 0), ranges[0]?.estimatedTotal ?? null);
  } finally {
    await admin.end().catch(() => undefined);
  }
  const queue = ranges.filter((r) => r.status !== 'done');
  const workers = Math.max(1, Math.min(options.workers ?? 1, queue.length));
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let range = queue.shift(); range; range = queue.shift()) await runRange(options, range, meter);
    }),
  );
  const durationMs = Math.round(performance.now() - meter.started);
  const status = options.signal?.aborted ? 'stopped' : 'done';
  return { job: job.name, status, rows: meter.rows, durationMs, rowsPerSecond: Math.round(meter.rate()), ranges: ranges.length };
}

/** Rows still to do: a count when it is quick, the planner's estimate otherwise. */
async function estimateRows(client: Client, table: string, where: string): Promise<number | null> {
  try {
    await client.query(`set statement_timeout = '5s'`);
    const { rows } = await client.query(`select count(*)::bigint as n from ${table} where ${where}`);
    return Number(rows[0].n);
  } catch {
    const { rows } = await client.query(`select reltuples::bigint as n from pg_class where oid = to_regclass($1)`, [table]);
    return rows[0]?.n > 0 ? Number(rows[0].n) : null;
  } finally {
    await client.query(`set statement_timeout = 0`);
  }
}

/** One worker on one key range, with the range's session advisory lock on its own connection. */
async function runRange(options: BackfillOptions, range: ProgressRow, meter: RunMeter): Promise<void> {
  const { job, signal } = options;
  const table = quoteQualified(job.table);
  const key = quoteQualified(job.keyColumn ?? 'id');
  const owner = options.owner ?? `${hostname()}:${process.pid}`;
  const client = new Client({ connectionString: options.url, application_name: `zdm-backfill ${job.name}` });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const lockPid = await takeOwnership(client, job.name, range.rangeId, options.ownerWaitMs ?? 600_000, signal, options.onOwnerWait);
    if (lockPid === undefined || signal?.aborted) return;
    await setRangeStatus(client, job.name, range.rangeId, 'running', { owner });
    // a batch never waits long for a table lock; a blocked batch is retried like a failed one.
    // synchronous_commit off: a batch's commit does not wait for its WAL flush. The rows and their
    // checkpoint commit together, so a server crash can only lose the last batches whole, rows and
    // checkpoint alike, and the resume does them again: nothing is lost or done twice.
    // enable_sort off: a batch walks the key index in order and stops at its limit. Where the
    // planner has no statistics for the filter (a column just added, a table not analyzed yet) it
    // expects a handful of rows and would rather read the whole key range and sort it, in every batch.
    await client.query(`set lock_timeout = '2s'; set statement_timeout = '60s'; set synchronous_commit = off; set enable_sort = off`);
    const batchSql = `
      with batch as (
        select ${key} as zdm_key from ${table}
         where ${key} > $1 and ${key} <= $2 and (${job.where})
           -- on the backend that holds the job's lock, or not at all
           and pg_backend_pid() = $6
         order by ${key} limit $3
         for update skip locked
      ), changed as (
        -- "= any(array)" keeps the update on the primary key index; a join to the CTE would hash a scan of the whole table
        update ${table} as t set ${job.set} where t.${key} = any(array(select zdm_key from batch)) returning t.${key} as zdm_key
      ), stats as (
        select count(*)::int as n, max(zdm_key)::text as last from changed
      )
      update ${PROGRESS_TABLE} p set rows_done = p.rows_done + stats.n, last_key = coalesce(stats.last::bigint, p.last_key), updated_at = now()
        from stats where p.job = $4 and p.range_id = $5
      returning stats.n, stats.last, pg_backend_pid() as pid`;
    const remainingSql = `select count(*)::int as n from (select 1 from ${table} where ${key} >= $1 and ${key} <= $2 and (${job.where}) limit 1000) r`;
    let lastKey = range.lastKey;
    let size = options.batchSize ?? job.batchSize ?? 5_000;
    // batches stay under the target: the size is steered to a quarter of it, which leaves room for
    // the spread of batch times and keeps row locks (which app writes may wait on) short
    const aim = (options.targetBatchMs ?? job.targetBatchMs ?? 200) * AIM_FRACTION;
    let lastPauseCheck = 0;
    while (!signal?.aborted) {
      if (Date.now() - lastPauseCheck > 1000) {
        lastPauseCheck = Date.now();
        const reason = await pauseReason(client, table, options.pauseWhen);
        if (reason) {
          options.onProgress?.(meter.progress(size, reason));
          await sleep(1000, signal);
          continue;
        }
      }
      const started = performance.now();
      const { n, last, shrink } = await batchWithRetries(client, batchSql, [lastKey, range.rangeEnd, size, job.name, range.rangeId, lockPid], options, lockPid, size > MIN_BATCH);
      if (shrink) {
        // the batch ran past its own statement_timeout: the next ones are half the size
        size = Math.max(MIN_BATCH, Math.floor(size / 2));
        continue;
      }
      const ms = performance.now() - started;
      meter.rows += n;
      options.onBatch?.(n, ms / 1000);
      if (last !== null) lastKey = last;
      options.onProgress?.(meter.progress(size));
      if (n < size) {
        // the range is exhausted for this pass; rows an app transaction held were skipped: go round again
        const { rows } = await client.query(remainingSql, [range.rangeStart, range.rangeEnd]);
        if (rows[0].n === 0) {
          await setRangeStatus(client, job.name, range.rangeId, 'done');
          return;
        }
        options.onProgress?.(meter.progress(size, `${rows[0].n >= 1000 ? '1000+' : rows[0].n} rows held by other transactions; going round again`));
        lastKey = (BigInt(range.rangeStart) - 1n).toString();
        await setRangeStatus(client, job.name, range.rangeId, 'running', { lastKey });
        await sleep(200, signal);
        continue;
      }
      size = Math.round(Math.min(MAX_BATCH, Math.max(MIN_BATCH, size * Math.min(2, Math.max(0.5, aim / Math.max(ms, 1))))));
      if (options.maxRowsPerSecond) {
        const ahead = (meter.rows / options.maxRowsPerSecond) * 1000 - (performance.now() - meter.started);
        if (ahead > 0) await sleep(ahead, signal);
      }
    }
    await setRangeStatus(client, job.name, range.rangeId, 'paused');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The ownership lock's key, for pg_try_advisory_lock and for finding its holder in pg_locks. */
const ownershipKey = (job: string, rangeId: number) => `zdm:backfill:${job}:${rangeId}`;

/**
 * Takes the range's session advisory lock, waiting up to waitMs for another owner; resolves to
 * the backend pid that holds it (undefined when stopped by the signal first).
 */
async function takeOwnership(client: Client, job: string, rangeId: number, waitMs: number, signal?: AbortSignal, onWait?: (owner: string, waitedMs: number) => void): Promise<number | undefined> {
  const started = Date.now();
  let reported = started;
  for (;;) {
    const { rows } = await client.query(`select pg_try_advisory_lock(hashtext($1)) as mine, pg_backend_pid() as pid`, [ownershipKey(job, rangeId)]);
    if (rows[0].mine) return Number(rows[0].pid);
    if (signal?.aborted) return undefined;
    const waited = Date.now() - started;
    if (waited >= waitMs) throw new BackfillBusyError(job, await ownerOf(client, job, rangeId), waited);
    if (onWait && Date.now() - reported >= 10_000) {
      reported = Date.now();
      onWait(await ownerOf(client, job, rangeId), waited);
    }
    await sleep(Math.min(250 + Math.random() * 250, Math.max(waitMs - waited, 10)), signal);
  }
}

/** Who holds a range's ownership lock: its backend (pid, application, client) and the progress row's owner. */
async function ownerOf(client: Client, job: string, rangeId: number): Promise<string> {
  const { rows } = await client.query(
    `select a.pid, a.application_name as app, host(a.client_addr) as addr,
            (select owner from ${PROGRESS_TABLE} where job = $2 and range_id = $3) as owner
       from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.objsubid = 1
        and l.database = (select oid from pg_database where datname = current_database())
        and ((l.classid::bigint << 32) | l.objid::bigint) = hashtext($1)::bigint
      limit 1`,
    [ownershipKey(job, rangeId), job, rangeId],
  ).catch(() => ({ rows: [] as Array<{ pid: number; app: string; addr: string | null; owner: string | null }> }));
  const r = rows[0];
  if (!r) return 'another session';
  return [`pid ${r.pid}`, r.app ? `application "${r.app}"` : undefined, r.addr ? `from ${r.addr}` : undefined, r.owner ? `owner ${r.owner}` : undefined].filter(Boolean).join(', ');
}

/**
 * Whether a failed batch may pass on a retry: lock waits, deadlocks and serialization failures
 * pass once the other transaction is gone ('retry'); the batch's own statement_timeout passes
 * with a smaller batch ('shrink'). Anything else (a column that does not exist, a constraint)
 * fails the same way every time (undefined).
 */
export function batchRetry(error: unknown): 'retry' | 'shrink' | undefined {
  const e = error as { code?: string; message?: string };
  switch (e.code) {
    case '55P03': // lock_not_available
    case '40P01': // deadlock_detected
    case '40001': // serialization_failure
      return 'retry';
    case '57014': // query_canceled: only our own statement_timeout, not a cancel from outside
      return /statement timeout/i.test(e.message ?? '') ? 'shrink' : undefined;
    default:
      return undefined;
  }
}

async function batchWithRetries(client: Client, sql: string, params: unknown[], options: BackfillOptions, lockPid: number, canShrink: boolean): Promise<{ n: number; last: string | null; shrink?: boolean }> {
  const attempts = options.maxBatchRetries ?? 5;
  const [job, rangeId] = [params[3] as string, params[4] as number];
  const fail = async (error: unknown, attempt: number) => {
    await setRangeStatus(client, job, rangeId, 'failed', { lastError: (options.redact ?? String)((error as Error).message) }).catch(() => undefined);
    return new BackfillFailedError(job, attempt, error);
  };
  let result: { rows: Array<{ n: number; last: string | null; pid: number }> } | { shrink: true };
  try {
    ({ value: result } = await retry(
      async (attempt) => {
        try {
          return { rows: (await client.query(sql, params)).rows as Array<{ n: number; last: string | null; pid: number }> };
        } catch (error) {
          options.onBatchError?.(error, attempt);
          // the batch's own statement_timeout: a smaller batch passes where a retry of this one would not
          if (batchRetry(error) === 'shrink' && canShrink) return { shrink: true as const };
          throw error;
        }
      },
      {
        attempts,
        retryable: (error) => batchRetry(error) !== undefined && !options.signal?.aborted,
        delay: (attempt) => Math.min(200 * 2 ** (attempt - 1), 5000) * (0.5 + Math.random() / 2),
        wait: async (ms) => (await sleep(ms, options.signal), { waitedMs: ms }),
      },
    ));
  } catch (failure) {
    const { error, state } = failure as RetryFailure;
    throw await fail(error, state.attempts);
  }
  if ('shrink' in result) return { n: 0, last: null, shrink: true };
  const { rows } = result;
  if (rows[0] && Number(rows[0].pid) !== lockPid) {
    // the batch changed nothing (its rows are picked only on the lock's backend), but the
    // connection is no longer the session that owns the job
    throw new BackfillPoolerError(job, `a batch ran on server backend ${rows[0].pid}, but the job's ownership lock is held by backend ${lockPid}`);
  }
  return { n: rows[0]?.n ?? 0, last: rows[0]?.last ?? null };
}

async function pauseReason(client: Client, table: string, when: BackfillOptions['pauseWhen']): Promise<string | undefined> {
  const waiting = when?.lockWaitingSessions ?? 5;
  const lagMs = when?.replicationLagMs ?? 10_000;
  const { rows } = await client.query(
    `select (select count(*)::int from pg_locks where not granted and relation = to_regclass($1)
                                         and database = (select oid from pg_database where datname = current_database())) as waiting,
            (select coalesce(max(extract(epoch from replay_lag) * 1000), 0)::int from pg_stat_replication) as lag`,
    [table],
  );
  if (rows[0].waiting >= waiting) return `${rows[0].waiting} sessions wait for locks on ${table}`;
  if (rows[0].lag >= lagMs) return `replicas lag ${rows[0].lag} ms`;
  return undefined;
}

/** Every job's progress rows (for `migrate backfill --status`). */
export async function backfillStatus(url: string): Promise<ProgressRow[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await readProgress(client);
  } finally {
    await client.end();
  }
}
