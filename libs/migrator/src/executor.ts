import type { Client } from 'pg';
import { MigrationFailedError } from './errors/migration-failed.error';
import { InterruptedError } from './errors/interrupted.error';
import { backoffMs, isRetryable, pgErrorFields } from './pg-error';
import type { RunLog, StatementRecord } from './run-log';
import { analyzeSql, sqlHash, type StatementInfo } from './sql/analyze';
import type { Blocker, Direction, EngineEvent, Execute, LoadedMigration, MigrationSession, StatementSink } from './types';
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
}

export interface ExecutionContext {
  app: string;
  session: MigrationSession;
  /** A second connection, for the watchdog's look at the session. */
  control: Client;
  runLog: RunLog;
  entryId: number;
  settings: ExecutionSettings;
  emit: (event: EngineEvent) => void;
  /** The signal that interrupted the run, if one did. */
  interrupted: () => 'SIGINT' | 'SIGTERM' | undefined;
  /** Statements an earlier, interrupted attempt completed (non-transactional `up` only). */
  resume?: StatementRecord[];
}

export interface ExecutionResult {
  retries: number;
  lockWaitMs: number;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Statements of one attempt: the watchdog's findings, for the error when retries run out. */
interface AttemptState {
  blockers: Blocker[];
  lockWaitMs: number;
  /** Attempts of the statement (or transaction) that failed last. */
  attempts: number;
}

class StatementFailure extends Error {
  constructor(
    readonly sql: string,
    readonly error: unknown,
  ) {
    super(pgErrorFields(error).message);
  }
}

/**
 * Runs one migration in one direction: in one transaction, or statement by statement outside one,
 * every statement under lock_timeout (CONCURRENTLY ones excepted) and retried on lock timeouts and
 * deadlocks with backoff and jitter, watched while it runs.
 */
export class MigrationExecutor {
  private readonly lockTimeoutMs: number;
  private readonly attempts: number;
  private readonly deadline: number;
  private readonly state: AttemptState = { blockers: [], lockWaitMs: 0, attempts: 1 };
  /** Attempts not made because the blocker still held its lock. */
  private skipped = 0;

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
    return this.migration.transactional ? this.runInTransaction() : this.runOutsideTransaction();
  }

  private statementTimeoutMs(): number {
    const remaining = this.deadline - Date.now();
    if (remaining <= 0) {
      throw new StatementFailure('', { message: `the migration ran past its time limit (MIGRATION_TIMEOUT), so it was stopped`, code: '57014' });
    }
    return Math.max(1, Math.min(remaining, this.migration.overrides.statementTimeoutMs ?? Infinity));
  }

  private async runInTransaction(): Promise<ExecutionResult> {
    const { session } = this.ctx;
    for (let attempt = 1; ; ) {
      this.state.blockers = [];
      const started = Date.now();
      try {
        await session.query('begin');
        await session.query(`select set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)`, [
          `${this.lockTimeoutMs}ms`,
          `${this.statementTimeoutMs()}ms`,
        ]);
        let position = 0;
        const sink: StatementSink = async (statement, execute) => {
          const { result } = await this.watched(position++, statement.sql, this.lockTimeoutMs, () => execute(statement.sql, statement.params));
          return result;
        };
        await this.migration.run(this.direction, sink);
        await this.migration.record(this.direction, sink);
        await session.query('commit');
        return { retries: attempt - 1 - this.skipped, lockWaitMs: this.state.lockWaitMs };
      } catch (error) {
        await session.query('rollback').catch(() => undefined);
        const next = await this.retry(error, attempt, Date.now() - started);
        if (next) {
          attempt = next;
          continue;
        }
        throw this.failure(error, this.state.attempts);
      }
    }
  }

  private async runOutsideTransaction(): Promise<ExecutionResult> {
    const { session } = this.ctx;
    const done = new Set((this.direction === 'up' ? (this.ctx.resume ?? []) : []).filter((s) => s.ddl).map((s) => `${s.position}:${s.hash}`));
    let position = 0;
    let retries = 0;
    const runOne = async (sql: string, params: unknown[] | undefined, info: StatementInfo | undefined, execute: Execute): Promise<unknown> => {
      const at = position++;
      const hash = sqlHash(sql);
      if (info?.ddl && done.has(`${at}:${hash}`)) {
        this.ctx.emit({ type: 'statement.finished', app: this.ctx.app, migration: this.migration.name, position: at, sql, durationMs: 0, rowCount: null, skipped: true });
        return [];
      }
      const lockTimeout = info?.concurrent ? 0 : this.lockTimeoutMs;
      for (let attempt = 1; ; ) {
        this.state.blockers = [];
        const started = Date.now();
        try {
          await session.query(`select set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)`, [
            `${lockTimeout}ms`,
            `${this.statementTimeoutMs()}ms`,
          ]);
          if (info?.concurrentIndex) await this.dropInvalidIndex(info.concurrentIndex);
          const { result, rowCount, durationMs } = await this.watched(at, sql, lockTimeout, () => execute(sql, params));
          await this.ctx.runLog.statementDone(this.ctx.entryId, { position: at, hash, durationMs, rowCount, ddl: info?.ddl ?? true });
          return result;
        } catch (error) {
          const next = await this.retry(error, attempt, Date.now() - started);
          if (next) {
            retries++;
            attempt = next;
            continue;
          }
          throw error;
        }
      }
    };
    const sink: StatementSink = async (statement, execute) => {
      const parts = await analyzeSql(statement.sql);
      // a single statement (or one with parameters, which the server takes only alone) runs as given
      if (parts.length <= 1 || statement.params?.length) return runOne(statement.sql, statement.params, parts[0], execute);
      let result: unknown;
      for (const part of parts) result = await runOne(part.text, undefined, part, execute);
      return result;
    };
    try {
      await this.migration.run(this.direction, sink);
      // the history row in a short transaction of its own, once every statement is done
      await session.query('begin');
      await this.migration.record(this.direction, async (statement, execute) => (await execute(statement.sql, statement.params)).result);
      await session.query('commit');
      return { retries, lockWaitMs: this.state.lockWaitMs };
    } catch (error) {
      await session.query('rollback').catch(() => undefined);
      throw this.failure(error, this.state.attempts);
    } finally {
      await session.query(`select set_config('lock_timeout', '0', false), set_config('statement_timeout', '0', false)`).catch(() => undefined);
    }
  }

  /** A CREATE INDEX CONCURRENTLY that died leaves an INVALID index that IF NOT EXISTS would keep: drop it first. */
  private async dropInvalidIndex(index: { name: string; schema?: string }): Promise<void> {
    const regclass = index.schema ? `"${index.schema}"."${index.name}"` : `"${index.name}"`;
    const { rows } = await this.ctx.session.query(`select indisvalid from pg_index where indexrelid = to_regclass($1)`, [regclass]);
    if (rows[0] && rows[0].indisvalid === false) {
      await this.ctx.session.query(`drop index concurrently if exists ${regclass}`);
      this.ctx.emit({ type: 'index.repaired', app: this.ctx.app, migration: this.migration.name, index: index.name });
    }
  }

  /** Runs one statement with the watchdog on: blockers noted before a lock timeout, a report past the warning time. */
  private async watched(position: number, sql: string, lockTimeoutMs: number, execute: () => ReturnType<Execute>) {
    const { control, session, emit, app, settings } = this.ctx;
    const started = performance.now();
    const timers: NodeJS.Timeout[] = [];
    if (lockTimeoutMs > 0) {
      timers.push(
        setTimeout(() => {
          blockersOf(control, session.pid).then((b) => b.length && (this.state.blockers = b), () => undefined);
        }, Math.max(lockTimeoutMs * 0.6, 20)),
      );
    }
    timers.push(
      setInterval(() => {
        void Promise.all([blockersOf(control, session.pid), waitEventOf(control, session.pid), indexBuildProgress(control, session.pid)]).then(
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
      throw new StatementFailure(sql, error);
    } finally {
      for (const timer of timers) clearTimeout(timer);
    }
  }

  /**
   * After a lock timeout or deadlock: the number of the next attempt, or 0 when there is none.
   * Each attempt has its backoff slot (exponential, with jitter). While the sessions that blocked
   * the last attempt are still in the same transactions, a new attempt would only queue the app's
   * reads and writes behind it again for nothing: such an attempt is skipped (and counted), so the
   * app is blocked once per blocker, and the time budget stays that of plain retries.
   */
  private async retry(error: unknown, attempt: number, attemptMs: number): Promise<number> {
    const cause = error instanceof StatementFailure ? error.error : error;
    this.state.attempts = attempt;
    if (!isRetryable(cause) || this.ctx.interrupted()) return 0;
    this.state.lockWaitMs += attemptMs;
    const code = pgErrorFields(cause).code ?? '';
    for (let next = attempt + 1; next <= this.attempts; next++) {
      const delayMs = backoffMs(next - 1);
      this.ctx.emit({
        type: 'migration.retrying',
        app: this.ctx.app,
        migration: this.migration.name,
        attempt: next - 1,
        attempts: this.attempts,
        delayMs,
        code,
        blockers: this.state.blockers,
        ...(next - 1 > attempt ? { skipped: true as const } : {}),
      });
      const { waitedMs, blocked } = await this.waitSlot(delayMs);
      this.state.lockWaitMs += waitedMs;
      if (this.ctx.interrupted()) return 0;
      if (!blocked) return next;
      this.state.attempts = next;
      this.skipped++;
    }
    return 0;
  }

  /**
   * Sleeps through a backoff slot, cut short once the blockers have let go (looked at every 100 ms,
   * the last look at the end of the slot); `blocked` is what the last look saw.
   */
  private async waitSlot(delayMs: number): Promise<{ waitedMs: number; blocked: boolean }> {
    const started = Date.now();
    let blocked = this.state.blockers.length > 0;
    for (let left = delayMs; left > 0 && !this.ctx.interrupted(); left = delayMs - (Date.now() - started)) {
      await sleep(Math.min(100, left));
      if (!blocked) continue;
      blocked = await stillBlocking(this.ctx.control, this.state.blockers).catch(() => false);
      if (!blocked) break;
    }
    return { waitedMs: Date.now() - started, blocked };
  }

  private failure(error: unknown, attempts: number): Error {
    const signal = this.ctx.interrupted();
    if (signal) return new InterruptedError(signal);
    if (error instanceof MigrationFailedError) return error;
    const statement = error instanceof StatementFailure ? error.sql || undefined : undefined;
    const cause = error instanceof StatementFailure ? error.error : error;
    const pg = pgErrorFields(cause);
    const reason = isRetryable(cause)
      ? `the lock was not granted in ${attempts} attempt${attempts > 1 ? 's' : ''} of lock_timeout ${this.lockTimeoutMs} ms` +
        `${this.skipped ? ` (${this.skipped} not made: the blocker still held its lock)` : ''}; blocking: ${describeBlockers(this.state.blockers)}`
      : undefined;
    return new MigrationFailedError(this.ctx.app, this.migration.name, this.direction, statement, pg, reason, this.state.blockers);
  }
}
