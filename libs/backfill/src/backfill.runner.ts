import { hostname } from 'node:os';
import { retry, sessionPoolingReason, type RetryFailure } from '@zdm/db';
import { Client, type QueryResult } from 'pg';
import type { BackfillJob } from './backfill-job';
import { BackfillBusyError } from './errors/backfill-busy.error';
import { BackfillFailedError } from './errors/backfill-failed.error';
import { BackfillPoolerError } from './errors/backfill-pooler.error';
import { ensureProgressTable, planRanges, readProgress, resetJob, setRangeStatus, splitRanges, PROGRESS_TABLE, type ProgressRow } from './progress-table';
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
  /** Where this run's time went, in ms (all workers summed where they overlap). */
  phases: BackfillPhases;
  batches: number;
}

/**
 * Where a run's time goes, in ms. The checkpoint of every batch is written by the batch's own
 * statement, in its transaction: `checkpoint` counts only the range's status rows (running, done).
 */
export interface BackfillPhases {
  /** Connecting, and the check that the connection is not behind a transaction-mode pooler. */
  connect: number;
  poolerCheck: number;
  /** The progress table read, and for a fresh job the key range and the row estimate. */
  plan: number;
  /** Taking each range's ownership lock. */
  ownership: number;
  /** The batch statements themselves: rows changed, checkpoint moved, commit. */
  batches: number;
  /** The once-a-second look at lock waits and replication lag, and the pauses they asked for. */
  pauseChecks: number;
  /** Sleeping to keep under --max-rows-per-second. */
  throttle: number;
  /** The pass at the end of a range that looks for rows skipped while an app transaction held them. */
  recheck: number;
  /** The range's status rows (running, done) written outside a batch. */
  checkpoint: number;
}

const newPhases = (): BackfillPhases => ({ connect: 0, poolerCheck: 0, plan: 0, ownership: 0, batches: 0, pauseChecks: 0, throttle: 0, recheck: 0, checkpoint: 0 });
const since = (t: number) => performance.now() - t;

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
/** While an app session waits on the table, batches are steered to this fraction of the target time. */
const AIM_FRACTION = 0.25;
/** While none does, they grow to this fraction of it: the row locks a batch holds delay no one. */
const UNCONTENDED_FRACTION = 0.75;
/** How long a wait seen on the table keeps batches at the short aim. */
const CONTENDED_MS = 10_000;
const MAX_BATCH = 100_000;
/** A SKIP LOCKED batch never waits long for a table lock; a blocked batch is retried like a failed one. */
const BATCH_LOCK_TIMEOUT = '2s';
/** A key-range batch waits this long at most for a row an app transaction holds, then gives the rows to a SKIP LOCKED batch. */
const OPTIMISTIC_LOCK_TIMEOUT = '50ms';

/** Shared counters of one run, over all workers. */
class RunMeter {
  rows = 0;
  batches = 0;
  readonly phases = newPhases();
  /** Until when batches stay short because an app session waited on the table. */
  contendedUntil = 0;
  /** The backends of this run's workers: their waits on each other (the table's extension lock) are not an app's. */
  readonly pids: number[] = [];
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
 * Runs a backfill to the end: keyset batches by primary key, each ONE transaction that changes the
 * next rows (one UPDATE of a key range while no one contends, FOR UPDATE SKIP LOCKED while someone
 * does) and moves the checkpoint in migration_progress, so a process killed at any moment resumes
 * exactly where it stopped.
 */
export async function runBackfill(options: BackfillOptions): Promise<BackfillResult> {
  const { job } = options;
  const table = quoteQualified(job.table);
  const key = quoteQualified(job.keyColumn ?? 'id');
  const phases = newPhases();
  let t = performance.now();
  const admin = new Client({ connectionString: options.url, application_name: `zdm-backfill ${job.name}` });
  admin.on('error', () => undefined);
  await admin.connect();
  phases.connect += since(t);
  let meter: RunMeter;
  let ranges: ProgressRow[];
  // the first worker goes on with this connection: one connect fewer at start-up
  let handOver = false;
  try {
    // ownership is a session advisory lock: refused before anything runs where a pooler would
    // move our statements between server sessions
    t = performance.now();
    const pooled = await sessionPoolingReason(admin, async () => {
      const second = new Client({ connectionString: options.url, application_name: 'zdm-pooler-check' });
      second.on('error', () => undefined);
      await second.connect();
      return second;
    });
    phases.poolerCheck += since(t);
    if (pooled) throw new BackfillPoolerError(job.name, pooled);
    t = performance.now();
    await ensureProgressTable(admin);
    ranges = await readProgress(admin, job.name);
    if (!ranges.length || ranges.every((r) => r.status === 'done')) {
      // a fresh job, or a done job run again (rows may have arrived since): plan the key range anew
      if (ranges.length) await resetJob(admin, job.name);
      const { rows } = await admin.query(`select min(${key})::text as min, max(${key})::text as max from ${table}`);
      if (rows[0].min === null) return { job: job.name, status: 'done', rows: 0, durationMs: 0, rowsPerSecond: 0, ranges: 0, phases: { ...phases, plan: since(t) }, batches: 0 };
      const estimate = await estimateRows(admin, table, job.where);
      await planRanges(admin, job.name, rows[0].min, rows[0].max, Math.max(1, options.workers ?? 1), estimate);
      ranges = await readProgress(admin, job.name);
    } else if ((options.workers ?? 1) > ranges.filter((r) => r.status !== 'done').length) {
      // a resumed job with more workers than open ranges: the widest ones are cut to go round
      ranges = await splitRanges(admin, job.name, ranges, options.workers ?? 1, {
        take: async (rangeId) => (await admin.query(`select pg_try_advisory_lock(hashtext($1)) as mine`, [ownershipKey(job.name, rangeId)])).rows[0].mine,
        release: async (rangeId) => void (await admin.query(`select pg_advisory_unlock(hashtext($1))`, [ownershipKey(job.name, rangeId)])),
      });
    }
    meter = new RunMeter(job.name, ranges.reduce((n, r) => n + r.rowsDone, 0), ranges[0]?.estimatedTotal ?? null);
    phases.plan += since(t);
    Object.assign(meter.phases, phases);
    handOver = true;
  } finally {
    if (!handOver) await admin.end().catch(() => undefined);
  }
  const queue = ranges.filter((r) => r.status !== 'done');
  const workers = Math.max(1, Math.min(options.workers ?? 1, queue.length));
  // one connection that looks, while a batch runs, whether an app session waits on it; opened
  // beside the first batches, which stay short until it is there
  const probe = new WaitProbe(options.url, job.name);
  let spare: Client | undefined = admin;
  // a worker that fails stops the others after their current batch: the job fails once, and
  // what the others did is saved
  const stopAll = new AbortController();
  const onStop = () => stopAll.abort();
  options.signal?.addEventListener('abort', onStop, { once: true });
  if (options.signal?.aborted) stopAll.abort();
  const workerOptions = { ...options, signal: stopAll.signal };
  try {
    const settled = await Promise.allSettled(
      Array.from({ length: workers }, async () => {
        const own = spare;
        spare = undefined;
        try {
          for (let range = queue.shift(); range && !stopAll.signal.aborted; range = queue.shift()) await runRange(workerOptions, range, meter, probe, own);
        } catch (error) {
          stopAll.abort();
          throw error;
        } finally {
          await own?.end().catch(() => undefined);
        }
      }),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    options.signal?.removeEventListener('abort', onStop);
    await (spare as Client | undefined)?.end().catch(() => undefined);
    await probe.end();
  }
  const durationMs = Math.round(performance.now() - meter.started);
  const status = options.signal?.aborted ? 'stopped' : 'done';
  const rounded = Object.fromEntries(Object.entries(meter.phases).map(([k, v]) => [k, Math.round(v)])) as unknown as BackfillPhases;
  return { job: job.name, status, rows: meter.rows, durationMs, rowsPerSecond: Math.round(meter.rate()), ranges: ranges.length, phases: rounded, batches: meter.batches };
}

/**
 * A connection of its own, beside the batches: it looks whether any session waits on a batch's
 * backend (a row an app UPDATE wants, or the table), and cancels the batch when one does.
 */
class WaitProbe {
  private client?: Client;
  private closed = false;
  private readonly ready: Promise<void>;
  constructor(url: string, job: string) {
    const client = new Client({ connectionString: url, application_name: `zdm-backfill ${job} probe` });
    client.on('error', () => undefined);
    this.ready = client.connect().then(
      () => {
        if (this.closed) void client.end().catch(() => undefined);
        else this.client = client;
      },
      () => undefined,
    );
  }
  get available(): boolean {
    return this.client !== undefined;
  }
  /**
   * Cancels the batch's statement when a session waits on its backend (a row it changed, or the
   * table): resolves to whether it did.
   */
  async cancelIfBlocking(pid: number, ours: number[]): Promise<boolean> {
    if (!this.client) return false;
    try {
      const { rows } = await this.client.query(
        `select pg_cancel_backend($1) as cancelled from pg_locks w
          where not w.granted and w.pid <> all($2::int[])
            -- pg_blocking_pids only for the few locks that wait
            and case when not w.granted then $1 = any(pg_blocking_pids(w.pid)) else false end
          limit 1`,
        [pid, ours],
      );
      return rows.length > 0;
    } catch {
      return false;
    }
  }
  async end(): Promise<void> {
    this.closed = true;
    await this.ready;
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}

/** How often a calm batch's watch looks whether a session waits on it. */
const WATCH_MS = 15;

/**
 * Watches a calm key-range batch from the probe's connection: every WATCH_MS, whether a session
 * waits on the batch's backend, and if one does, the batch is cancelled. Its rows roll back and go
 * to short SKIP LOCKED batches, and the app's write waits a few milliseconds, not for the rest of a
 * batch that no one contended when it began. A cancel that reaches the backend once the batch is
 * done finds it idle, reading the next command, and PostgreSQL drops it there: nothing is sent to
 * the batch's backend before stop() says the last look is done.
 */
class BatchWatch {
  private timer?: NodeJS.Timeout;
  private look: Promise<void> = Promise.resolve();
  private stopped = false;
  private cancelled = false;
  constructor(
    private readonly probe: WaitProbe,
    private readonly pid: number,
    private readonly ours: number[],
  ) {
    this.timer = setTimeout(() => this.tick(), WATCH_MS);
  }
  private tick(): void {
    this.look = this.probe.cancelIfBlocking(this.pid, this.ours).then((cancelled) => {
      if (cancelled) this.cancelled = true;
      else if (!this.stopped) this.timer = setTimeout(() => this.tick(), WATCH_MS);
    });
  }
  /** Stops looking; resolves, once the look in flight is done, to whether it cancelled the batch. */
  async stop(): Promise<boolean> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.look;
    return this.cancelled;
  }
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
async function runRange(options: BackfillOptions, range: ProgressRow, meter: RunMeter, probe: WaitProbe, given?: Client): Promise<void> {
  const { job, signal } = options;
  const { phases } = meter;
  const table = quoteQualified(job.table);
  const key = quoteQualified(job.keyColumn ?? 'id');
  const owner = options.owner ?? `${hostname()}:${process.pid}`;
  let t = performance.now();
  let client = given;
  if (!client) {
    client = new Client({ connectionString: options.url, application_name: `zdm-backfill ${job.name}` });
    client.on('error', () => undefined);
    await client.connect();
    phases.connect += since(t);
  }
  let lockPid: number | undefined;
  try {
    t = performance.now();
    lockPid = await takeOwnership(client, job.name, range.rangeId, options.ownerWaitMs ?? 600_000, signal, options.onOwnerWait);
    phases.ownership += since(t);
    if (lockPid === undefined || signal?.aborted) return;
    meter.pids.push(lockPid);
    t = performance.now();
    await setRangeStatus(client, job.name, range.rangeId, 'running', { owner });
    phases.checkpoint += since(t);
    // a batch never waits long for a table lock; a blocked batch is retried like a failed one.
    // synchronous_commit off: a batch's commit does not wait for its WAL flush. The rows and their
    // checkpoint commit together, so a server crash can only lose the last batches whole, rows and
    // checkpoint alike, and the resume does them again: nothing is lost or done twice.
    // enable_sort off: a batch walks the key index in order and stops at its limit. Where the
    // planner has no statistics for the filter (a column just added, a table not analyzed yet) it
    // expects a handful of rows and would rather read the whole key range and sort it, in every batch.
    await client.query(`set lock_timeout = '${BATCH_LOCK_TIMEOUT}'; set statement_timeout = '60s'; set synchronous_commit = off; set enable_sort = off`);
    let lockTimeout = BATCH_LOCK_TIMEOUT;
    const batchSql = `
      with batch as (
        select ctid as zdm_ctid from ${table}
         where ${key} > $1 and ${key} <= $2 and (${job.where})
           -- on the backend that holds the job's lock, or not at all
           and pg_backend_pid() = $6
         order by ${key} limit $3
         for update skip locked
      ), changed as (
        -- the rows are found by key and changed where they are: "ctid = any(array)" goes straight to each
        -- row the batch has locked (which no one else can move until it commits), with no second walk
        -- down the key index; a join to the CTE would hash a scan of the whole table
        update ${table} as t set ${job.set} where t.ctid = any(array(select zdm_ctid from batch)) returning t.${key} as zdm_key
      ), stats as (
        select count(*)::int as n, max(zdm_key)::text as last from changed
      )
      -- the rows it skipped are above $1: the pass's recheck starts no later than there
      update ${PROGRESS_TABLE} p set rows_done = p.rows_done + stats.n, last_key = coalesce(stats.last::bigint, p.last_key), updated_at = now(),
             skipped_after = least(coalesce(p.skipped_after, $1::bigint), $1::bigint)
        from stats where p.job = $4 and p.range_id = $5
      returning stats.n, stats.last, p.skipped_after::text as skipped_after, pg_backend_pid() as pid`;
    // While no app session waits on the table, a batch skips the row locks: it is one UPDATE of a
    // key range, the next $3 keys, as a plain UPDATE runs, and a row an app transaction holds makes
    // it wait a moment (at most OPTIMISTIC_LOCK_TIMEOUT, then the batch is done again the other
    // way). FOR UPDATE SKIP LOCKED writes a lock record a row before the update writes the row, and
    // takes the trip to each row twice: a third of the batch's time when no one contends.
    const rangeSql = `
      with bound as materialized (
        -- the batch's last key: $3 keys on (or the range's end), read from the key index alone
        select coalesce((select ${key} from ${table} where ${key} > $1 and ${key} <= $2 order by ${key} offset $3 - 1 limit 1), $2) as upper
      ), changed as (
        update ${table} as t set ${job.set}
         where t.${key} > $1 and t.${key} <= (select upper from bound) and (${job.where})
           -- on the backend that holds the job's lock, or not at all
           and pg_backend_pid() = $6
        returning 1
      ), stats as (
        select count(*)::int as n, (select upper from bound)::text as last from changed
      )
      -- off the lock's backend nothing changed, and the checkpoint stays where it is
      update ${PROGRESS_TABLE} p set rows_done = p.rows_done + stats.n, last_key = case when pg_backend_pid() = $6 then stats.last::bigint else p.last_key end, updated_at = now()
        from stats where p.job = $4 and p.range_id = $5
      returning stats.n, stats.last, p.skipped_after::text as skipped_after, pg_backend_pid() as pid`;
    // Where the keys are unique integers and the last batch found them dense, a key-range batch is
    // (lastKey, lastKey + size]: that range holds `size` rows at most, so its end needs no walk down
    // the key index (the walk costs a batch 4%). Its rows and its checkpoint are two statements of
    // one transaction, in two round trips (counting the rows in the same statement, RETURNING into
    // a CTE, costs a batch 3% more). The values are integers the runner computed, and the job's name.
    const denseBatch = (from: string, rows: number, pid: number) => async (): Promise<Row[]> => {
      const upper = BigInt(from) + BigInt(rows) < BigInt(range.rangeEnd) ? BigInt(from) + BigInt(rows) : BigInt(range.rangeEnd);
      try {
        const [, changed] = (await client.query(
          `begin; update ${table} as t set ${job.set} where t.${key} > ${BigInt(from)} and t.${key} <= ${upper} and (${job.where}) and pg_backend_pid() = ${pid}`,
        )) as unknown as QueryResult[];
        const n = changed.rowCount ?? 0;
        const [moved] = (await client.query(
          `update ${PROGRESS_TABLE} p set rows_done = p.rows_done + ${n},
                  last_key = case when pg_backend_pid() = ${pid} then ${upper} else p.last_key end, updated_at = now()
            where p.job = ${client.escapeLiteral(job.name)} and p.range_id = ${Number(range.rangeId)}
           returning ${n}::int as n, '${upper}'::text as last, p.skipped_after::text as skipped_after, pg_backend_pid() as pid;
           commit`,
        )) as unknown as QueryResult<Row>[];
        return moved.rows;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      }
    };
    const remainingSql = `select count(*)::int as n from (select 1 from ${table} where ${key} > $1 and ${key} <= $2 and (${job.where}) limit 1000) r`;
    // where this pass's recheck starts, as the checkpoint row says after each batch
    let skippedAfter = range.skippedAfter;
    let lastKey = range.lastKey;
    const uniqueKey = await isUniqueIntegerKey(client, table, job.keyColumn ?? 'id');
    // the next key-range batch may be (lastKey, lastKey + size]: the keys are unique integers, and
    // the last batch changed a row for nearly every key it covered (or there was none yet)
    let dense = uniqueKey;
    let size = options.batchSize ?? job.batchSize ?? 5_000;
    // the last batch's time a row changed
    let msPerRow = 0;
    // batches stay under the target: while an app session waits on the table (or until the probe
    // can tell), the size is steered to a quarter of it, which leaves room for the spread of batch
    // times and keeps row locks (which app writes may wait on) short; while none waits, batches
    // grow to three quarters of it, and the fewer, larger batches cost less per row
    const target = options.targetBatchMs ?? job.targetBatchMs ?? 200;
    const shortAim = target * AIM_FRACTION;
    let lastPauseCheck = 0;
    while (!signal?.aborted) {
      if (Date.now() - lastPauseCheck > 1000) {
        t = performance.now();
        lastPauseCheck = Date.now();
        const { reason, waiting } = await pauseReason(client, table, options.pauseWhen, meter.pids);
        if (waiting > 0) meter.contendedUntil = Date.now() + CONTENDED_MS;
        if (reason) {
          options.onProgress?.(meter.progress(size, reason));
          await sleep(1000, signal);
          phases.pauseChecks += since(t);
          continue;
        }
        phases.pauseChecks += since(t);
      }
      const calm = probe.available && Date.now() >= meter.contendedUntil;
      const aim = calm ? target * UNCONTENDED_FRACTION : shortAim;
      // no one contends: the key range as one UPDATE, waiting briefly on a row an app holds; else
      // SKIP LOCKED. It needs no probe: its own lock timeout bounds what it waits for
      const optimistic = Date.now() >= meter.contendedUntil;
      const wanted = optimistic ? OPTIMISTIC_LOCK_TIMEOUT : BATCH_LOCK_TIMEOUT;
      if (lockTimeout !== wanted) {
        await client.query(`set lock_timeout = '${wanted}'`);
        lockTimeout = wanted;
      }
      const started = performance.now();
      const pid = lockPid;
      // a calm batch is long; a session that comes to wait on its rows is not kept waiting for the rest of it
      const watch = calm ? new BatchWatch(probe, pid, meter.pids) : undefined;
      const params = [lastKey, range.rangeEnd, size, job.name, range.rangeId, lockPid];
      const run = optimistic && dense ? denseBatch(lastKey, size, pid) : async () => (await client.query<Row>(optimistic ? rangeSql : batchSql, params)).rows;
      let outcome: Awaited<ReturnType<typeof batchWithRetries>>;
      let waiters: boolean;
      try {
        outcome = await batchWithRetries(client, run, job.name, range.rangeId, options, lockPid, size > MIN_BATCH, optimistic, async () => (await watch?.stop()) ?? false);
      } finally {
        // nothing more goes to the batch's backend before the watch's last look (and its cancel) is done
        waiters = (await watch?.stop()) ?? false;
      }
      const { n, last, shrink, contended, skipped } = outcome;
      phases.batches += since(started);
      meter.batches++;
      if (waiters || contended) meter.contendedUntil = Date.now() + CONTENDED_MS;
      // an app transaction held a row past the short lock timeout, or a session came to wait on the
      // batch and the watch cancelled it: the same rows again, skipping what is locked, in a batch
      // sized for the short aim at the rate the last batch had
      if (contended) {
        size = Math.round(Math.min(size, Math.max(MIN_BATCH, msPerRow > 0 ? shortAim / msPerRow : size / 4)));
        continue;
      }
      if (shrink) {
        // the batch ran past its own statement_timeout: the next ones are half the size
        size = Math.max(MIN_BATCH, Math.floor(size / 2));
        continue;
      }
      const ms = performance.now() - started;
      if (n > 0) msPerRow = ms / n;
      meter.rows += n;
      options.onBatch?.(n, ms / 1000);
      if (optimistic) dense = uniqueKey && last !== null && n >= 0.9 * Number(BigInt(last) - BigInt(lastKey));
      if (last !== null) lastKey = last;
      if (skipped !== undefined) skippedAfter = skipped;
      options.onProgress?.(meter.progress(size));
      // a key-range batch ends at the range's end; a SKIP LOCKED one when it found fewer rows than asked
      const exhausted = optimistic ? last === null || BigInt(last) >= BigInt(range.rangeEnd) : n < size;
      if (exhausted) {
        // the range is exhausted for this pass; rows an app transaction held were skipped: go round
        // again from the first of them. A pass of key-range batches alone skipped nothing.
        t = performance.now();
        const { rows } = skippedAfter === null ? { rows: [{ n: 0 }] } : await client.query(remainingSql, [skippedAfter, range.rangeEnd]);
        phases.recheck += since(t);
        if (rows[0].n === 0) {
          t = performance.now();
          await setRangeStatus(client, job.name, range.rangeId, 'done');
          phases.checkpoint += since(t);
          return;
        }
        options.onProgress?.(meter.progress(size, `${rows[0].n >= 1000 ? '1000+' : rows[0].n} rows held by other transactions; going round again`));
        lastKey = skippedAfter!;
        skippedAfter = null;
        await setRangeStatus(client, job.name, range.rangeId, 'running', { lastKey });
        await sleep(200, signal);
        continue;
      }
      // a wait just seen brings the size down to the short aim at once; otherwise it moves by at most 2x
      const next = waiters ? Math.min(1, shortAim / Math.max(ms, 1)) : Math.min(2, Math.max(0.5, (Date.now() < meter.contendedUntil ? shortAim : aim) / Math.max(ms, 1)));
      size = Math.round(Math.min(MAX_BATCH, Math.max(MIN_BATCH, size * next)));
      if (options.maxRowsPerSecond) {
        const ahead = (meter.rows / options.maxRowsPerSecond) * 1000 - (performance.now() - meter.started);
        if (ahead > 0) {
          t = performance.now();
          await sleep(ahead, signal);
          phases.throttle += since(t);
        }
      }
    }
    await setRangeStatus(client, job.name, range.rangeId, 'paused');
  } finally {
    if (!given) await client.end().catch(() => undefined);
    // a connection that goes on to another range lets go of this one
    else if (lockPid !== undefined) await client.query('select pg_advisory_unlock(hashtext($1))', [ownershipKey(job.name, range.rangeId)]).catch(() => undefined);
  }
}

/**
 * Whether the key column is a unique integer: a valid unique index on it alone, not partial. Then a
 * key range (lo, lo + n] holds n rows at most.
 */
async function isUniqueIntegerKey(client: Client, table: string, column: string): Promise<boolean> {
  const { rows } = await client.query(
    `select exists (select 1 from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
                     where i.indrelid = to_regclass($1) and a.attname = $2 and a.atttypid in ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
                       and i.indisunique and i.indisvalid and i.indnkeyatts = 1 and i.indpred is null and i.indexprs is null) as unique`,
    [table, column],
  );
  return rows[0].unique;
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

/** What a batch statement returns: rows changed, the checkpoint's last key and skipped_after, the backend it ran on. */
interface Row {
  n: number;
  last: string | null;
  skipped_after: string | null;
  pid: number;
}

async function batchWithRetries(
  client: Client,
  batch: () => Promise<Row[]>,
  job: string,
  rangeId: number,
  options: BackfillOptions,
  lockPid: number,
  canShrink: boolean,
  /** A key-range batch: a lock timeout is no failure, it says someone contends (the caller goes on with SKIP LOCKED). */
  keyRange = false,
  /** Whether the batch's watch cancelled it because a session waited on it: no failure either, the same. */
  cancelledByWatch: () => Promise<boolean> = async () => false,
): Promise<{ n: number; last: string | null; skipped?: string | null; shrink?: boolean; contended?: boolean }> {
  const attempts = options.maxBatchRetries ?? 5;
  const fail = async (error: unknown, attempt: number) => {
    await setRangeStatus(client, job, rangeId, 'failed', { lastError: (options.redact ?? String)((error as Error).message) }).catch(() => undefined);
    return new BackfillFailedError(job, attempt, error);
  };
  let result: { rows: Row[] } | { shrink: true } | { contended: true };
  try {
    ({ value: result } = await retry(
      async (attempt) => {
        try {
          return { rows: await batch() };
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (keyRange && (code === '55P03' || (code === '57014' && (await cancelledByWatch())))) return { contended: true as const };
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
  if ('contended' in result) return { n: 0, last: null, contended: true };
  const { rows } = result;
  if (rows[0] && Number(rows[0].pid) !== lockPid) {
    // the batch changed nothing (its rows are picked only on the lock's backend), but the
    // connection is no longer the session that owns the job
    throw new BackfillPoolerError(job, `a batch ran on server backend ${rows[0].pid}, but the job's ownership lock is held by backend ${lockPid}`);
  }
  return { n: rows[0]?.n ?? 0, last: rows[0]?.last ?? null, skipped: rows[0] && rows[0].skipped_after };
}

async function pauseReason(client: Client, table: string, when: BackfillOptions['pauseWhen'], ours: number[]): Promise<{ reason?: string; waiting: number }> {
  const waiting = when?.lockWaitingSessions ?? 5;
  const lagMs = when?.replicationLagMs ?? 10_000;
  const { rows } = await client.query(
    `select (select count(*)::int from pg_locks where not granted and relation = to_regclass($1) and locktype in ('relation', 'tuple')
                                         and pid <> all($2::int[])
                                         and database = (select oid from pg_database where datname = current_database())) as waiting,
            (select coalesce(max(extract(epoch from replay_lag) * 1000), 0)::int from pg_stat_replication) as lag`,
    [table, ours],
  );
  if (rows[0].waiting >= waiting) return { reason: `${rows[0].waiting} sessions wait for locks on ${table}`, waiting: rows[0].waiting };
  if (rows[0].lag >= lagMs) return { reason: `replicas lag ${rows[0].lag} ms`, waiting: rows[0].waiting };
  return { waiting: rows[0].waiting };
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
