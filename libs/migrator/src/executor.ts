import { POOLER_FIX } from '@zdm/db';
import { linter } from './linter';
import { qualifiedTable } from './adapters/adapter-support';
import { timerFor, withinTimeLimit } from './time-limit';
import { InterruptedError } from './errors/interrupted.error';
import { MigrationFailedError, type FailureCounts } from './errors/migration-failed.error';
import { MigratorError } from './errors/migrator.error';
import { PoolerError } from './errors/pooler.error';
import { TransactionControlError } from './errors/transaction-control.error';
import { planLocks, sampleLocks, type LockSample } from './lock-check';
import { isRetryable, pgErrorFields, QUERY_CANCELED } from './pg-error';
import { RetryFailure, retriesOf, withLockRetries, type RetryState } from './retry';
import type { RunLog, StatementRecord } from './run-log';
import { analyzeSql, sqlHash, type StatementInfo } from './sql/analyze';
import type { Blocker, Direction, EngineEvent, Execute, LoadedMigration, MigrationSession, Queryable, StatementSink } from './types';
import { blockersOf, describeBlockers, indexBuildProgress, stillBlocking, waitEventOf } from './watchdog';

export interface ExecutionSettings {
  /** lock_timeout of every statement but the CONCURRENTLY ones. */
  lockTimeoutMs: number;
  /** Attempts in all, the first included. */
  lockRetries: number;
  /** A statement running longer than this is reported with what it waits on. */
  statementWarnMs: number;
  /** Past this a migration's statement is cancelled and the migration fails. */
  migrationTimeoutMs: number;
  /**
   * client_connection_check_interval of the migration's statements (PostgreSQL 14+; 0 is off): a
   * runner killed mid-statement has its statement ended by the server within this time, instead
   * of running on without a client, holding its locks (default 1 s).
   */
  clientCheckIntervalMs?: number;
}

export interface ExecutionContext {
  app: string;
  session: MigrationSession;
  /** A connection of its own for the watchdog and for cancelling the session's statement. */
  monitor: Queryable;
  runLog: RunLog;
  entryId: number;
  settings: ExecutionSettings;
  emit: (event: EngineEvent) => void;
  /** The signal that interrupted the run, if one did. */
  interrupted: () => 'SIGINT' | 'SIGTERM' | undefined;
  /** The error to stop with once the run lock's connection went away. */
  lockLost: () => MigratorError | undefined;
  /** Statements earlier, failed attempts completed (non-transactional `up` only): done, skipped. */
  resume?: StatementRecord[];
  /** `host:port` of the migration's server, for a lost connection. */
  where: string;
  /** The one redactor: blockers' queries are redacted before they are cut. */
  redact?: (text: string) => string;
  /** The server's major version. */
  serverVersion: number;
}

export interface ExecutionResult {
  retries: number;
  lockWaitMs: number;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** The look before each attempt (see `attempt`). */
const LOCK_CHECK = {
  /** A conflicting lock of a transaction younger than this (or than half the wait so far) does not hold an attempt back. */
  graceMs: 5,
  /** The lock_timeout of an attempt made once no older transaction holds a conflicting lock (doubled after each timeout). */
  attemptMs: 20,
  /** How often the locks are looked at again while an older transaction holds one. */
  pollMs: 10,
};

/**
 * An attempt that did not ask for its lock: an older transaction held a conflicting one for all of
 * the attempt's lock_timeout. Retried like a lock timeout (55P03).
 */
class LockNotRequested extends Error {
  readonly code = '55P03';
  constructor(sample: LockSample, redact?: (text: string) => string) {
    super(
      sample.holdsWriteBlockingLock
        ? `lock on ${sample.relation} not requested: ${describeBlockers(sample.blockers, redact)} holds a conflicting one, and this transaction already holds a lock that stops app writes`
        : `lock on ${sample.relation} not requested: ${describeBlockers(sample.blockers, redact)} held a conflicting one for the whole lock_timeout`,
    );
  }
}

/** One statement's failure, with the SQL that failed. */
class StatementFailure extends Error {
  constructor(
    readonly sql: string,
    readonly error: unknown,
  ) {
    super(pgErrorFields(error).message);
  }
}

/** The connection went away (a server restart, a terminated backend, the network). */
function isConnectionLoss(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  const { code, message } = pgErrorFields(error);
  return (
    /^(57P0[1-3]|08)/.test(code ?? '') ||
    ['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT'].includes(e.code ?? '') ||
    /Connection terminated|connection is closed|Client has encountered a connection error|not queryable|Query runner already released/i.test(message ?? e.message ?? '')
  );
}

interface Part {
  sql: string;
  params?: unknown[];
  info?: StatementInfo;
}

/**
 * Runs one migration in one direction: in one transaction, or statement by statement outside one,
 * each statement under the runner's own limits (set again before every statement, whatever the
 * migration set), lock timeouts and deadlocks retried with backoff and jitter, watched while it runs.
 */
export class MigrationExecutor {
  private readonly lockTimeoutMs: number;
  private readonly attempts: number;
  private readonly deadline: number;
  /** What blocked the current attempt, as the watchdog saw it. */
  private blockers: Blocker[] = [];
  /** Lock retries and waits of every statement (or transaction) of this migration. */
  private readonly totals: FailureCounts = { retries: 0, lockWaitMs: 0, attempts: 1 };
  private timedOut = false;
  /** Where the run was when it failed, for the message of a lost connection. */
  private completed = 0;
  private committing = false;

  constructor(
    private readonly ctx: ExecutionContext,
    private readonly migration: LoadedMigration,
    private readonly direction: Direction,
  ) {
    const o = migration.overrides;
    this.lockTimeoutMs = o.lockTimeoutMs ?? ctx.settings.lockTimeoutMs;
    this.attempts = Math.max(1, o.lockRetries ?? ctx.settings.lockRetries);
    this.deadline = Date.now() + (o.timeoutMs ?? ctx.settings.migrationTimeoutMs);
  }

  async run(): Promise<ExecutionResult> {
    // the runner's own timer, a backstop to statement_timeout (set to the time left before every
    // statement): whatever the migration does to that setting, a second past the time limit its
    // statement is cancelled
    const timer = timerFor(this.deadline - Date.now() + 1000, () => {
      this.timedOut = true;
      void this.ctx.monitor.query('select pg_cancel_backend($1)', [this.ctx.session.pid]).catch(() => undefined);
    });
    try {
      // and a migration whose own code never settles (a promise nobody resolves) fails too, rather
      // than holding the run and its lock for good
      await withinTimeLimit(
        this.migration.transactional ? this.runInTransaction() : this.runOutsideTransaction(),
        this.deadline - Date.now() + 5000,
        () => new StatementFailure('', { message: 'its code did not finish within the time limit, with no statement running', code: QUERY_CANCELED }),
      );
      return { retries: this.totals.retries, lockWaitMs: this.totals.lockWaitMs };
    } catch (error) {
      this.timedOut ||= Date.now() >= this.deadline;
      await this.ctx.session.query('rollback').catch(() => undefined);
      throw this.failure(error);
    } finally {
      clearTimeout(timer);
    }
  }

  private statementTimeoutMs(): number {
    const remaining = this.deadline - Date.now();
    if (remaining <= 0 || this.timedOut) {
      this.timedOut = true;
      throw new StatementFailure('', { message: 'no time was left for its next statement', code: QUERY_CANCELED });
    }
    return Math.max(1, Math.min(remaining, this.migration.overrides.statementTimeoutMs ?? Infinity));
  }

  /** A signal, the run lock's connection lost, the time limit reached: no further statement starts. */
  private throwIfStopped(): void {
    // a signal that came while the migration's own code ran
    const signal = this.ctx.interrupted();
    if (signal) throw new InterruptedError(signal);
    const lost = this.ctx.lockLost();
    if (lost) throw lost;
    this.statementTimeoutMs();
  }

  /**
   * Sets the runner's limits for the next statement (`local`: for the current transaction only)
   * and confirms the session is still the backend it was: behind a transaction-mode pooler it
   * would not be, and nothing session-scoped could be trusted.
   */
  private async applyLimits(lockTimeoutMs: number, local: boolean): Promise<void> {
    this.throwIfStopped();
    const check = this.ctx.serverVersion >= 14 ? `, set_config('client_connection_check_interval', $4, $3)` : '';
    const params: unknown[] = [`${lockTimeoutMs}ms`, `${this.statementTimeoutMs()}ms`, local];
    if (check) params.push(`${this.ctx.settings.clientCheckIntervalMs ?? 1000}ms`);
    const { rows } = await this.ctx.session.query(`select pg_backend_pid() as pid, set_config('lock_timeout', $1, $3), set_config('statement_timeout', $2, $3)${check}`, params);
    if (Number(rows[0]?.pid) !== this.ctx.session.pid) {
      throw new PoolerError(
        `the migration session moved from backend ${this.ctx.session.pid} to ${String(rows[0]?.pid)} between statements: this is a transaction-mode pooler (PgBouncer); ${POOLER_FIX}`,
      );
    }
  }

  /**
   * One attempt of a statement that locks tables it names: before asking for its locks, look at
   * who holds or awaits a conflicting one (pg_locks, from the monitor). While a transaction older
   * than the grace period does, the lock is not asked for, so no app session queues behind the
   * request; once none does, the statement runs with a short lock_timeout, since whatever blocks it
   * then arrived in the last instant. All of it within the attempt's own lock_timeout: past it the
   * attempt fails like one that timed out (55P03), with the blockers, and the retry helper waits
   * them out as it does any blocker. A statement whose tables are not known runs as it always did.
   */
  private async attempt<T>(part: Part, local: boolean, run: (lockTimeoutMs: number) => Promise<T>): Promise<T> {
    const { session, monitor } = this.ctx;
    const planned = this.lockTimeoutMs > 0 ? await planLocks(session, part.info?.locks).catch(() => undefined) : undefined;
    if (!planned) {
      await this.applyLimits(this.lockTimeoutMs, local);
      return run(this.lockTimeoutMs);
    }
    const started = Date.now();
    const until = started + this.lockTimeoutMs;
    for (let tries = 0; ; ) {
      this.throwIfStopped();
      // a blocker there before the look began always counts; transactions that come and go on a
      // busy table, each younger than half the wait so far, do not hold the attempt back for good
      const graceMs = Math.max(LOCK_CHECK.graceMs, (Date.now() - started) / 2);
      const sample = await sampleLocks(monitor, session.pid, planned, graceMs).catch(() => undefined);
      const left = until - Date.now();
      if (!sample) {
        // the monitor could not look: the rest of the attempt as it always ran
        const lockTimeoutMs = Math.max(1, left);
        await this.applyLimits(lockTimeoutMs, local);
        return run(lockTimeoutMs);
      }
      if (sample.blockers.length) {
        // past the attempt's lock_timeout, or holding a lock that stops app writes (an earlier
        // statement's): fail now, and the retry helper waits the blockers out with nothing held
        if (left <= 0 || sample.holdsWriteBlockingLock) {
          this.blockers = sample.blockers;
          throw new StatementFailure(part.sql, new LockNotRequested(sample, this.ctx.redact));
        }
        await sleep(Math.min(LOCK_CHECK.pollMs, left));
        continue;
      }
      // doubled after each timeout within the attempt: a table never free for 20 ms still gets its lock
      const lockTimeoutMs = Math.max(1, Math.min(LOCK_CHECK.attemptMs * 2 ** tries, left));
      await this.applyLimits(lockTimeoutMs, local);
      // a lock timeout rolls back to here, not the whole transaction: the attempt looks again
      if (local) await session.query('savepoint zdm_lock_attempt');
      try {
        const value = await run(lockTimeoutMs);
        if (local) await session.query('release savepoint zdm_lock_attempt');
        return value;
      } catch (error) {
        const code = pgErrorFields(error instanceof StatementFailure ? error.error : error).code;
        if (!local || code !== '55P03' || until - Date.now() <= LOCK_CHECK.pollMs) throw error;
        await session.query('rollback to savepoint zdm_lock_attempt');
        tries++;
        await sleep(Math.min(LOCK_CHECK.pollMs, Math.max(0, until - Date.now())));
      }
    }
  }

  private async parts(statement: { sql: string; params?: unknown[] }): Promise<Part[]> {
    const infos = await analyzeSql(statement.sql, this.ctx.serverVersion);
    // a single statement, or one with parameters (which the server takes only alone), runs as given
    if (infos.length <= 1 || statement.params?.length) return [{ sql: statement.sql, params: statement.params, info: infos.length === 1 ? infos[0] : undefined }];
    return infos.map((info) => ({ sql: info.text, info }));
  }

  private retryOptions() {
    return {
      attempts: this.attempts,
      stopped: () => this.ctx.interrupted() !== undefined || this.ctx.lockLost() !== undefined || this.timedOut,
      waitSlot: (delayMs: number) => this.waitSlot(delayMs),
      onRetry: ({ retry, attempts, delayMs, error, skipped }: { retry: number; attempts: number; delayMs: number; error: unknown; skipped: boolean }) =>
        this.ctx.emit({
          type: 'migration.retrying',
          app: this.ctx.app,
          migration: this.migration.name,
          attempt: retry,
          attempts,
          delayMs,
          code: pgErrorFields(error instanceof StatementFailure ? error.error : error).code ?? '',
          blockers: this.blockers,
          ...(skipped ? { skipped: true as const } : {}),
          ...(!skipped && error instanceof StatementFailure && error.error instanceof LockNotRequested ? { notRequested: true as const } : {}),
        }),
      retryable: (error: unknown) => isRetryable(error instanceof StatementFailure ? error.error : error),
    };
  }

  private count(state: RetryState): void {
    this.totals.retries += retriesOf(state);
    this.totals.lockWaitMs += state.waitedMs;
    this.totals.attempts = state.attempts;
  }

  /** Runs `work` with lock retries, adding what its attempts went through to the migration's totals. */
  private async retried<T>(work: () => Promise<T>): Promise<T> {
    try {
      const { value, state } = await withLockRetries(async () => {
        this.blockers = [];
        return work();
      }, this.retryOptions());
      this.count(state);
      return value;
    } catch (error) {
      if (error instanceof RetryFailure) {
        this.count(error.state);
        throw error.error;
      }
      throw error;
    }
  }

  /**
   * Runs `work` in a transaction on the session: committed when it succeeds, rolled back when it
   * throws. A connection lost during the COMMIT leaves the outcome unknown, and the failure says so.
   */
  private async inTransaction<T>(work: () => Promise<T>): Promise<T> {
    const { session } = this.ctx;
    await session.query('begin');
    try {
      const value = await work();
      this.committing = true;
      await session.query('commit');
      return value;
    } catch (error) {
      await session.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      this.committing = false;
    }
  }

  private async runInTransaction(): Promise<void> {
    await this.retried(() =>
      this.inTransaction(async () => {
        this.completed = 0;
        const sink: StatementSink = async (statement, execute) => {
          let result: unknown;
          for (const part of await this.parts(statement)) {
            if (part.info?.transactionControl) {
              throw new TransactionControlError(this.ctx.app, this.migration.name, this.migration.file, part.sql, part.info.transactionControl);
            }
            const at = this.completed;
            result = (await this.attempt(part, true, (lockTimeoutMs) => this.watched(at, part.sql, lockTimeoutMs, () => execute(part.sql, part.params)))).result;
            this.completed++;
          }
          return result;
        };
        await this.migration.run(this.direction, sink);
        await this.migration.record(this.direction, sink);
      }),
    );
  }

  private async runOutsideTransaction(): Promise<void> {
    const { session, runLog, entryId } = this.ctx;
    const done = new Set((this.direction === 'up' ? (this.ctx.resume ?? []) : []).map((s) => `${s.position}:${s.hash}`));
    let position = 0;
    /** The migration opened a transaction of its own: its statements run in it and commit with it. */
    let ownTransaction = false;
    let sessionLimits = false;
    const record = (at: number, hash: string, info: StatementInfo | undefined, outcome: { durationMs: number; rowCount: number | null }) =>
      runLog.statementDone(entryId, { position: at, hash, durationMs: outcome.durationMs, rowCount: outcome.rowCount, ddl: info?.ddl ?? true }, session);

    const runOne = async ({ sql, params, info }: Part, execute: Execute): Promise<unknown> => {
      const at = position++;
      const hash = sqlHash(sql);
      if (!ownTransaction && done.has(`${at}:${hash}`)) {
        this.ctx.emit({ type: 'statement.finished', app: this.ctx.app, migration: this.migration.name, position: at, sql, durationMs: 0, rowCount: null, skipped: true });
        return [];
      }
      if (info?.transactionControl || ownTransaction) {
        // the migration's own transaction block: run as written, the records inside it, so they commit with it
        const outcome = await this.watched(at, sql, this.lockTimeoutMs, () => execute(sql, params));
        const opens = info?.transactionControl === 'BEGIN' || info?.transactionControl === 'START TRANSACTION';
        if (opens) ownTransaction = true;
        else if (info?.transactionControl) ownTransaction = false;
        if (ownTransaction) await this.applyLimits(this.lockTimeoutMs, true);
        await record(at, hash, info, outcome);
        this.completed++;
        return outcome.result;
      }
      if (info?.outsideTransaction) {
        // CONCURRENTLY and the like: no transaction can scope the limits, so they are set on the
        // session (ours alone: a pooled session was refused before anything ran) and reset after
        const lockTimeout = info.concurrent ? 0 : this.lockTimeoutMs;
        return this.retried(async () => {
          sessionLimits = true;
          if (!info.concurrent) {
            // VACUUM and the like: looked at before each attempt like any other statement
            const outcome = await this.attempt({ sql, params, info }, false, (lockTimeoutMs) => this.watched(at, sql, lockTimeoutMs, () => execute(sql, params)));
            await record(at, hash, info, outcome);
            this.completed++;
            return outcome.result;
          }
          await this.applyLimits(lockTimeout, false);
          if (info.concurrentIndex && (await this.concurrentIndexDone(sql, info))) {
            await record(at, hash, info, { durationMs: 0, rowCount: null });
            this.completed++;
            return [];
          }
          if (info.droppedIndexes && done.size && (await this.indexesGone(info.droppedIndexes))) {
            await record(at, hash, info, { durationMs: 0, rowCount: null });
            this.completed++;
            return [];
          }
          const outcome = await this.watched(at, sql, lockTimeout, () => execute(sql, params));
          await record(at, hash, info, outcome);
          this.completed++;
          return outcome.result;
        });
      }
      // every other statement commits together with its record in the run log: its completion is never in doubt
      const result = await this.retried(() =>
        this.inTransaction(async () => {
          const outcome = await this.attempt({ sql, params, info }, true, (lockTimeoutMs) => this.watched(at, sql, lockTimeoutMs, () => execute(sql, params)));
          await record(at, hash, info, outcome);
          return outcome.result;
        }),
      );
      this.completed++;
      return result;
    };
    const sink: StatementSink = async (statement, execute) => {
      let result: unknown;
      for (const part of await this.parts(statement)) result = await runOne(part, execute);
      return result;
    };
    try {
      await this.migration.run(this.direction, sink);
      if (ownTransaction) {
        throw new StatementFailure('', {
          message: 'the migration began a transaction (BEGIN) and never ended it: what it ran since then was rolled back; end it with COMMIT',
        });
      }
      // the history row in a short transaction of its own, once every statement is done
      await this.inTransaction(async () => {
        await this.applyLimits(this.lockTimeoutMs, true);
        await this.migration.record(this.direction, async (statement, execute) => (await execute(statement.sql, statement.params)).result);
      });
    } catch (error) {
      // the migration's own open transaction block, if it left one
      await session.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      if (sessionLimits) {
        await session.query(`reset lock_timeout; reset statement_timeout${this.ctx.serverVersion >= 14 ? '; reset client_connection_check_interval' : ''}`).catch(() => undefined);
      }
    }
  }

  /**
   * Before a CREATE INDEX CONCURRENTLY: what an earlier, killed attempt left of its index. A build
   * still running (its backend outlived our client) is waited for; an INVALID index is dropped and
   * built again; a VALID one with the statement's own definition is the statement done; a VALID
   * one with another definition is an error naming both.
   */
  private async concurrentIndexDone(sql: string, info: StatementInfo): Promise<boolean> {
    const index = info.concurrentIndex!;
    const regclass = qualifiedTable(index.name, index.schema);
    const { session, emit, app } = this.ctx;
    let reported = false;
    for (;;) {
      const { rows } = await session.query(
        `select i.indisvalid as valid, pg_get_indexdef(i.indexrelid) as definition, i.indrelid::regclass::text as "table",
                (select p.pid from pg_stat_progress_create_index p where p.index_relid = i.indexrelid limit 1) as builder
           from pg_index i where i.indexrelid = to_regclass($1)`,
        [regclass],
      );
      const found = rows[0] as { valid: boolean; definition: string; table: string; builder: number | null } | undefined;
      if (!found) return false;
      if (found.builder !== null && found.builder !== undefined) {
        if (!reported) emit({ type: 'index.waiting', app, migration: this.migration.name, index: index.name, pid: Number(found.builder) });
        reported = true;
        this.statementTimeoutMs();
        await sleep(500);
        continue;
      }
      if (!found.valid) {
        await session.query(`drop index concurrently if exists ${regclass}`);
        emit({ type: 'index.repaired', app, migration: this.migration.name, index: index.name });
        return false;
      }
      const { relationStart } = info.concurrentIndex!;
      const relationEnd = await linter().nameEnd(sql, relationStart);
      const relation = sql.slice(relationStart, relationEnd);
      const { rows: same } = await session.query(`select to_regclass($1) = to_regclass($2) as same`, [relation, found.table]);
      if (!same[0]?.same) {
        throw new StatementFailure(sql, { message: `index ${index.name} already exists on another table (${found.table}): "${found.definition}"; rename the index in the migration, or drop the other one` });
      }
      const intended = await this.intendedIndexDefinition(sql, relationEnd, found.table);
      if (sameIndexDefinition(found.definition, intended)) {
        emit({ type: 'index.adopted', app, migration: this.migration.name, index: index.name });
        return true;
      }
      throw new StatementFailure(sql, {
        message: `index ${index.name} already exists with another definition: the database has "${found.definition}", this statement builds "${intended.replace('zdm_index_probe', index.name)}"; drop or rename the existing index, or change the migration`,
      });
    }
  }

  /**
   * The definition the statement would give its index, as PostgreSQL itself prints it: the same
   * index built on an empty temporary copy of the table's columns, in a transaction rolled back.
   */
  private async intendedIndexDefinition(sql: string, relationEnd: number, table: string): Promise<string> {
    const { session } = this.ctx;
    const rest = sql.slice(relationEnd);
    const unique = /^\s*create\s+unique\b/i.test(sql);
    await session.query('begin');
    try {
      await session.query(`select set_config('lock_timeout', $1, true)`, [`${this.lockTimeoutMs}ms`]);
      await session.query(`create temporary table zdm_index_probe_table (like ${table}) on commit drop`);
      await session.query(`create ${unique ? 'unique ' : ''}index zdm_index_probe on zdm_index_probe_table ${rest}`);
      const { rows } = await session.query(`select pg_get_indexdef('zdm_index_probe'::regclass) as definition`);
      return String(rows[0].definition);
    } finally {
      await session.query('rollback').catch(() => undefined);
    }
  }

  private async indexesGone(indexes: { name: string; schema?: string }[]): Promise<boolean> {
    const { rows } = await this.ctx.session.query(`select count(*)::int as n from unnest($1::text[]) as r(name) where to_regclass(r.name) is not null`, [
      indexes.map((i) => qualifiedTable(i.name, i.schema)),
    ]);
    return rows[0].n === 0;
  }

  /** Runs one statement with the watchdog on: blockers noted before a lock timeout, a report past the warning time. */
  private async watched(position: number, sql: string, lockTimeoutMs: number, execute: () => ReturnType<Execute>) {
    const { monitor, session, emit, app, settings } = this.ctx;
    const started = performance.now();
    const timers: NodeJS.Timeout[] = [];
    if (lockTimeoutMs > 0) {
      timers.push(
        setTimeout(() => {
          blockersOf(monitor, session.pid).then((b) => b.length && (this.blockers = b), () => undefined);
        }, Math.max(lockTimeoutMs * 0.6, 20)),
      );
    }
    timers.push(
      setInterval(() => {
        void Promise.all([blockersOf(monitor, session.pid), waitEventOf(monitor, session.pid), indexBuildProgress(monitor, session.pid)]).then(
          ([blockers, waitEvent, progress]) =>
            emit({ type: 'statement.slow', app, migration: this.migration.name, sql, elapsedMs: Math.round(performance.now() - started), waitEvent, blockers, progress }),
          () => undefined,
        );
      }, settings.statementWarnMs),
    );
    try {
      const outcome = await execute();
      const durationMs = Math.round((performance.now() - started) * 10) / 10;
      emit({ type: 'statement.finished', app, migration: this.migration.name, position, sql, durationMs, rowCount: outcome.rowCount });
      return { ...outcome, durationMs };
    } catch (error) {
      if (error instanceof MigratorError) throw error;
      throw new StatementFailure(sql, error);
    } finally {
      for (const timer of timers) clearTimeout(timer);
    }
  }

  /**
   * Sleeps through a backoff slot, cut short once the blockers have let go (looked at every 100 ms,
   * the last look at the end of the slot); `blocked` is what the last look saw.
   */
  private async waitSlot(delayMs: number): Promise<{ waitedMs: number; blocked: boolean }> {
    const started = Date.now();
    let blocked = this.blockers.length > 0;
    for (let left = delayMs; left > 0 && !this.ctx.interrupted(); left = delayMs - (Date.now() - started)) {
      await sleep(Math.min(100, left));
      if (!blocked) continue;
      blocked = await stillBlocking(this.ctx.monitor, this.blockers).catch(() => false);
      if (!blocked) break;
    }
    return { waitedMs: Date.now() - started, blocked };
  }

  private failure(error: unknown): Error {
    const signal = this.ctx.interrupted();
    if (signal) return new InterruptedError(signal);
    const lost = this.ctx.lockLost();
    if (lost) return lost;
    if (error instanceof MigratorError && !(error instanceof MigrationFailedError)) return error;
    if (error instanceof MigrationFailedError) return error;
    const statement = error instanceof StatementFailure ? error.sql || undefined : undefined;
    const cause = error instanceof StatementFailure ? error.error : error;
    const pg = pgErrorFields(cause);
    const counts = { ...this.totals };
    let reason: string | undefined;
    if (isRetryable(cause)) {
      reason =
        `the lock was not granted in ${counts.attempts} attempt${counts.attempts > 1 ? 's' : ''} of lock_timeout ${this.lockTimeoutMs} ms` +
        `${counts.attempts - 1 > counts.retries ? ` (${counts.attempts - 1 - counts.retries} not made: the blocker still held its lock)` : ''}; blocking: ${describeBlockers(this.blockers, this.ctx.redact)}`;
    } else if (pg.code === QUERY_CANCELED && (this.timedOut || Date.now() >= this.deadline)) {
      reason = "the migration ran past its time limit (MIGRATION_TIMEOUT, or the class's timeoutMs), so its statement was cancelled";
    } else if (isConnectionLoss(cause)) {
      pg.message = `the connection to ${this.ctx.where} was lost (${pg.message})`;
      reason = this.committing
        ? 'the connection went away during COMMIT: PostgreSQL may or may not have committed it; `migrate status` tells which'
        : this.migration.transactional
          ? 'its transaction was rolled back by the server: nothing of this migration is applied'
          : `${this.completed} statement(s) before it completed and are recorded; the one running was rolled back; \`migrate up\` resumes after the completed ones`;
    }
    return new MigrationFailedError(this.ctx.app, this.migration.name, this.direction, statement, pg, reason, this.blockers, counts);
  }
}

/** Two indexes are the same when PostgreSQL prints them the same, names and table apart. */
function sameIndexDefinition(existing: string, intended: string): boolean {
  const shape = (definition: string) => {
    const using = definition.indexOf(' USING ');
    return `${/^CREATE UNIQUE /.test(definition) ? 'unique ' : ''}${using >= 0 ? definition.slice(using) : definition}`;
  };
  return shape(existing) === shape(intended);
}
