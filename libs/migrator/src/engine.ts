import type { Client } from 'pg';
import { assertSessionPinned, connectionError, databaseKey, openClient, openPoolerCheck, type DatabaseTarget } from './control-connection';
import { ChangedMigrationError } from './errors/changed-migration.error';
import { ConfigError } from './errors/config.error';
import { InterruptedError } from './errors/interrupted.error';
import { TransactionControlError } from './errors/transaction-control.error';
import { SafetyFindingsError } from './errors/safety-findings.error';
import { RunLockLostError } from './errors/run-lock-lost.error';
import type { BackupTarget, LintUnit, NotNullCatalog } from '@zdm/migration-lint';
import { linter } from './linter';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { readNotNullCatalog } from './not-null-catalog';
import type { ReleaseApp } from './readiness';
import { lintUnitOf, type LintSettings } from './lint-unit';
import { MigrationFailedError } from './errors/migration-failed.error';
import { MigratorError } from './errors/migrator.error';
import { UnexpectedError } from './errors/unexpected.error';
import { UnsafeTransactionError } from './errors/unsafe-transaction.error';
import type { ExecutionSettings } from './executor';
import { MonitorConnection } from './monitor-connection';
import { withinTimeLimit } from './time-limit';
import { checkTimestampedNames } from './naming';
import { pgErrorFields } from './pg-error';
import { acquireRunLock, releaseRunLock } from './run-lock';
import { RunLog, type MigrationHistory, type RunEntryStart } from './run-log';
import { analyzeSql } from './sql/analyze';
import type { Direction, EngineEvent, EventListener, LoadedMigration, MigrationFile, MigrationOutcome, MigrationSession, OrmAdapter, OrmName, StatementSink } from './types';

// loaded by the first migration to run or back up: a run with nothing to do loads neither
const executor = () => require('./executor') as typeof import('./executor');
const backups = () => require('./backup') as typeof import('./backup');

export interface EngineApp {
  name: string;
  orm: OrmName;
  adapter: OrmAdapter;
  target: DatabaseTarget;
  /** `timestamped` enforces YYYYMMDDHHmm__description and unique timestamps; `orm` keeps the ORM's own rules. */
  naming: 'timestamped' | 'orm';
  /** History up to and including this migration is never judged by the lint gate (adopted projects). */
  lintBaseline?: string;
}

/** Backups before a migration that drops, truncates or rewrites data. */
export interface BackupSettings {
  /** A durable folder (in Kubernetes a mounted volume): without it, nothing is backed up. */
  dir?: string;
  /** Refuse such a migration when there is no `dir` (ENV=production without --no-backup). */
  required?: boolean;
}

export interface EngineSettings extends ExecutionSettings {
  /** How long to wait for another run's lock before giving up (exit 3). */
  lockWaitMs: number;
}

export interface EngineOptions {
  apps: EngineApp[];
  settings: EngineSettings;
  runId: string;
  command: string;
  host: string;
  /** The commit the run is from, asked only when the run log records a migration. */
  gitSha?: () => string | undefined;
  onEvent?: EventListener;
  /** Applied to every error text the engine stores (the run log), so no secret is kept there. */
  redact?: (text: string) => string;
  /** The lint gate's settings. */
  lint?: LintSettings;
  /** A schema-per-tenant target's schema: its run lock is per schema, not per database. */
  runLockScope?: string;
}

/**
 * `missing`: applied (in the ORM's history) but no file of this release has it, as when a newer
 * release ran first in a rolling deploy, or a file was deleted.
 */
export type MigrationState = 'applied' | 'pending' | 'changed' | 'missing';

export interface MigrationStatus {
  name: string;
  state: MigrationState;
  appliedAt: string | null;
  durationMs: number | null;
  transactional: boolean;
  checksum: string;
  /** A non-transactional migration that died half-way: pending, with its last error. */
  partial?: true;
  lastError?: string | null;
}

export interface AcceptedChecksum {
  app: string;
  migration: string;
  /** The checksum the run log had (what was applied), and the file's, now recorded. */
  previous: string | null;
  checksum: string;
  acceptedBy: string;
  acceptedAt: string;
}

export interface AppStatus {
  app: string;
  orm: OrmName;
  database: string;
  migrations: MigrationStatus[];
}

export interface PlannedStatement {
  sql: string;
  params?: unknown[];
  kind: 'read' | 'write';
  /** Must run outside a transaction (CONCURRENTLY). */
  concurrent: boolean;
  /** BEGIN, COMMIT, ... written in the migration itself. */
  transactionControl?: string;
  /** For reads: whether the plan could run it (reads run in a read-only transaction). */
  executed?: boolean;
  note?: string;
}

export interface PlannedMigration {
  name: string;
  file: string;
  transactional: boolean;
  statements: PlannedStatement[];
  warnings: string[];
  /** What the target's catalog said, before the run, about the tables the migration sets NOT NULL on: for the linter. */
  catalog?: NotNullCatalog;
}

export interface AppPlan {
  app: string;
  orm: OrmName;
  database: string;
  /** The server's major: the linter judges by it. */
  serverVersion: number;
  migrations: PlannedMigration[];
}

export interface RunSummary {
  runId: string;
  status: 'ok' | 'failed' | 'interrupted';
  durationMs: number;
  migrations: MigrationOutcome[];
  reverted: MigrationOutcome[];
  error?: MigratorError;
}

interface Database {
  target: DatabaseTarget;
  control: Client;
  /** The watchdog's and the cancels' own connection, opened when first needed. */
  monitor: MonitorConnection;
  /** The server's major version (13 ... 18). */
  serverVersion: number;
  runLog: RunLog;
  locked: boolean;
}

/** A migration of an app as the engine tracks it: loaded only when it must run or be planned. */
interface Entry extends MigrationFile {
  historyName: string;
  transactional: boolean;
  loaded?: LoadedMigration;
}

interface AppState {
  app: EngineApp;
  database: Database;
  migrations: Entry[];
  applied: Map<string, Date | null>;
  history: Map<string, MigrationHistory>;
  /** The ORM's session, opened on first need: a run with nothing to do never loads an ORM. */
  session?: MigrationSession;
}

/**
 * The migration engine: one lock, one run log, one way to plan, apply and revert, for every app
 * and ORM. It imports no ORM (adapters do), no Nest and no CLI library.
 */
export class MigrationEngine {
  private readonly databases = new Map<string, Database>();
  private readonly states = new Map<string, AppState>();
  /** Every adapter that connected, closed on the way out even when its app failed to load. */
  private readonly opened = new Set<OrmAdapter>();
  private readonly files = new Map<OrmAdapter, MigrationFile[]>();
  private releaseHash?: string;
  private signal?: 'SIGINT' | 'SIGTERM';
  /** The database whose run-lock connection went away mid-run: the run stops at once. */
  private lockLost?: string;
  private closing = false;

  constructor(private readonly options: EngineOptions) {}

  private emit(event: EngineEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // a listener's failure never changes the run
    }
  }

  // ---- connections -------------------------------------------------------------------------

  /**
   * Connects to every database first, then takes their run locks one by one in a fixed order.
   * Returns false when a lock was not needed: another run held it and `unneeded` found nothing left.
   */
  private async openDatabases(lock: boolean, unneeded?: () => Promise<boolean>): Promise<boolean> {
    const targets = new Map<string, DatabaseTarget>();
    for (const app of this.options.apps) targets.set(databaseKey(app.target), app.target);
    // a fixed order (host, port, database), so two runs over the same databases never deadlock
    const ordered = [...targets.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [key, target] of ordered) {
      // the pooler check's second connection opens beside the first: two authentications at once
      const second = openPoolerCheck(target);
      second.catch(() => undefined);
      // the release in the name: a waiter reads it from pg_stat_activity, without the lock (see acquireRunLock)
      const control = await openClient(target, `zdm-migrate ${this.options.runId.slice(0, 8)} release ${this.releaseId()}`).catch((error: unknown) => {
        void second.then((c) => c.end(), () => undefined);
        throw error;
      });
      const monitor = new MonitorConnection(target, `zdm-migrate ${this.options.runId.slice(0, 8)} watchdog`);
      const database: Database = { target, control, monitor, serverVersion: 0, runLog: new RunLog(control, target.schema), locked: false };
      this.databases.set(key, database);
      // the check closes the second connection, whatever it finds
      await assertSessionPinned(control, target, () => second);
      const { rows } = await control.query<{ num: string }>(`select current_setting('server_version_num') as num`);
      database.serverVersion = Math.floor(Number(rows[0].num) / 10_000);
    }
    if (!lock) return true;
    for (const [key] of ordered) {
      const database = this.databases.get(key)!;
      const { control } = database;
      const { waitedMs, unneeded: skipped } = await acquireRunLock(control, {
        database: key,
        waitMs: this.options.settings.lockWaitMs,
        aborted: () => this.signal !== undefined,
        onWaiting: (holder, waited) => this.emit({ type: 'lock.waiting', database: key, holder, waitedMs: waited }),
        redact: this.options.redact,
        scope: this.options.runLockScope,
        release: this.releaseId(),
        unneeded,
      });
      if (this.signal) throw new InterruptedError(this.signal);
      if (skipped) {
        this.emit({ type: 'lock.unneeded', database: key, waitedMs });
        return false;
      }
      database.locked = true;
      control.on('end', () => {
        if (this.closing || this.lockLost) return;
        this.lockLost = key;
        void this.cancelSessions();
      });
      this.emit({ type: 'lock.acquired', database: key, waitedMs });
      await database.runLog.ensure();
      const abandoned = await database.runLog.markAbandoned();
      if (abandoned.length) this.emit({ type: 'runs.abandoned', database: key, runs: abandoned });
    }
    return true;
  }

  /**
   * Whether this release has nothing left to apply (up to `to`) and nothing changed, read without
   * the lock, as a waiter asks while another run holds it.
   */
  private async nothingLeft(to?: string): Promise<boolean> {
    for (const database of this.databases.values()) if (await database.runLog.revertInProgress()) return false;
    const states: AppState[] = [];
    try {
      for (const app of this.options.apps) states.push(await this.openApp(app, false));
      const changed = states.some((s) => s.migrations.some((m) => this.stateOf(s, m).state === 'changed'));
      return !changed && [...this.pendingOf(states, to).values()].every((p) => p.length === 0);
    } finally {
      for (const s of states) this.states.delete(s.app.name);
    }
  }

  private async openApp(app: EngineApp, prepareHistory: boolean): Promise<AppState> {
    const database = this.databases.get(databaseKey(app.target))!;
    const history = await database.runLog.history(app.name);
    const migrations = this.entries(app.adapter, history);
    if (app.naming === 'timestamped') {
      checkTimestampedNames(
        app.name,
        migrations.map((m) => ({ name: m.name, ormTimestamp: app.adapter.ormTimestampOf?.(m.historyName) })),
      );
    }
    const state: AppState = { app, database, migrations, applied: new Map(), history };
    this.states.set(app.name, state);
    if (prepareHistory && !(await database.control.query('select to_regclass($1) is not null as present', [app.adapter.historyTable])).rows[0].present) {
      await this.sessionOf(state);
      await app.adapter.ensureHistoryTable(this.directSink);
    }
    state.applied = new Map((await app.adapter.applied(database.control)).map((r) => [r.historyName, r.appliedAt]));
    return state;
  }

  /**
   * The app's migrations in the ORM's order. A file the run log knows unchanged (same checksum)
   * is not loaded: its history name and transaction mode come from the log.
   */
  private entries(adapter: OrmAdapter, history: Map<string, MigrationHistory>): Entry[] {
    const files = this.filesOf(adapter);
    const known = files.map((f) => {
      const h = history.get(f.name);
      const historyName = h?.checksum === f.checksum ? (h.historyName ?? adapter.historyNameOf(f)) : undefined;
      return historyName && h?.transactional !== undefined ? { ...f, historyName, transactional: h.transactional } : undefined;
    });
    const entries: Entry[] = known.every((e) => e)
      ? (known as Entry[])
      : files.map((f) => {
          const loaded = adapter.load(f);
          return { ...f, historyName: loaded.historyName, transactional: loaded.transactional, loaded };
        });
    return entries.sort((a, b) => adapter.compare(a, b));
  }

  /** An app's migration files and their checksums, read once a run. */
  private filesOf(adapter: OrmAdapter): MigrationFile[] {
    let files = this.files.get(adapter);
    if (!files) this.files.set(adapter, (files = adapter.files()));
    return files;
  }

  /**
   * This run's release: a hash of every migration's app, name and checksum (the checksum manifest,
   * which an image without .git has too). Two runs of one release would apply the same migrations.
   */
  private releaseId(): string {
    this.releaseHash ??= createHash('sha256')
      .update(this.options.apps.flatMap((app) => this.filesOf(app.adapter).map((f) => `${app.name}\0${f.name}\0${f.checksum}\n`)).sort().join(''))
      .digest('hex')
      .slice(0, 12);
    return this.releaseHash;
  }

  private loaded(s: AppState, entry: Entry): LoadedMigration {
    entry.loaded ??= s.app.adapter.load(entry);
    return entry.loaded;
  }

  private async sessionOf(s: AppState): Promise<MigrationSession> {
    if (!s.session) {
      this.opened.add(s.app.adapter);
      try {
        s.session = await s.app.adapter.connect();
      } catch (error) {
        if ((error as { code?: string }).code) throw connectionError(error, s.app.target);
        throw error;
      }
    }
    return s.session;
  }

  /** Runs what the adapter emits as it is, on the app's session. */
  private readonly directSink: StatementSink = async (statement, execute) => (await execute(statement.sql, statement.params)).result;

  /** The apps' states; undefined when `unneeded` let the run leave without the lock. */
  private async openAll(lock: boolean): Promise<AppState[]>;
  private async openAll(lock: boolean, unneeded: () => Promise<boolean>): Promise<AppState[] | undefined>;
  private async openAll(lock: boolean, unneeded?: () => Promise<boolean>): Promise<AppState[] | undefined> {
    if (!(await this.openDatabases(lock, unneeded))) return undefined;
    const states: AppState[] = [];
    for (const app of this.options.apps) states.push(await this.openApp(app, lock));
    return states;
  }

  /** Cancels the running statements and makes the run stop after rolling back. */
  async interrupt(signal: 'SIGINT' | 'SIGTERM'): Promise<void> {
    this.signal = signal;
    await this.cancelSessions();
  }

  private async cancelSessions(): Promise<void> {
    await Promise.all(
      [...this.states.values()].filter((s) => s.session).map((s) => s.database.monitor.query('select pg_cancel_backend($1)', [s.session!.pid]).catch(() => undefined)),
    );
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const adapter of this.opened) await adapter.close().catch(() => undefined);
    this.opened.clear();
    for (const database of this.databases.values()) {
      await database.monitor.close();
      if (database.locked) await releaseRunLock(database.control, this.options.runLockScope).catch(() => undefined);
      await database.control.end().catch(() => undefined);
    }
    this.states.clear();
    this.databases.clear();
    this.closing = false;
  }

  // ---- status --------------------------------------------------------------------------------

  private stateOf(s: AppState, m: Entry): MigrationStatus {
    const hist = s.history.get(m.name);
    const isApplied = s.applied.has(m.historyName);
    const appliedAt = s.applied.get(m.historyName) ?? hist?.appliedAt ?? null;
    const status: MigrationStatus = {
      name: m.name,
      state: !isApplied ? 'pending' : hist?.checksum && hist.checksum !== m.checksum ? 'changed' : 'applied',
      appliedAt: isApplied && appliedAt ? new Date(appliedAt).toISOString() : null,
      durationMs: isApplied && hist?.durationMs !== undefined ? hist.durationMs : null,
      transactional: m.transactional,
      checksum: m.checksum,
    };
    if (!isApplied && hist?.partial?.statements.length) {
      status.partial = true;
      status.lastError = hist.partial.error;
    }
    return status;
  }

  /** Applied migrations that no file of this release has: shown, never run or reverted. */
  private missingOf(s: AppState): MigrationStatus[] {
    const known = new Set(s.migrations.map((m) => m.historyName));
    const nameOf = new Map([...s.history.entries()].filter(([, h]) => h.historyName).map(([name, h]) => [h.historyName!, name]));
    return [...s.applied.entries()]
      .filter(([historyName]) => !known.has(historyName))
      .map(([historyName, appliedAt]) => {
        const name = nameOf.get(historyName) ?? historyName;
        const hist = s.history.get(name);
        const when = appliedAt ?? hist?.appliedAt ?? null;
        return {
          name,
          state: 'missing' as const,
          appliedAt: when ? new Date(when).toISOString() : null,
          durationMs: hist?.durationMs ?? null,
          transactional: hist?.transactional ?? true,
          checksum: hist?.checksum ?? '',
        };
      });
  }

  async status(): Promise<AppStatus[]> {
    try {
      const states = await this.openAll(false);
      return states.map((s) => ({
        app: s.app.name,
        orm: s.app.orm,
        database: databaseKey(s.app.target),
        migrations: [...s.migrations.map((m) => this.stateOf(s, m)), ...this.missingOf(s)],
      }));
    } finally {
      await this.close();
    }
  }

  /**
   * What this release ships per app, as the history knows it (names, history names, checksums),
   * and where its history lives: what a readiness probe compares the database with.
   */
  async release(): Promise<ReleaseApp[]> {
    try {
      const states = await this.openAll(false);
      return states.map((s) => ({
        app: s.app.name,
        target: s.app.target,
        historyTable: s.app.adapter.historyTable,
        runLogTable: s.database.runLog.table,
        migrations: s.migrations.map((m) => ({ name: m.name, historyName: m.historyName, checksum: m.checksum })),
      }));
    } finally {
      await this.close();
    }
  }

  // ---- plan ----------------------------------------------------------------------------------

  /** The pending migrations of each app, up to and including `to` (apps after its app: none). */
  private pendingOf(states: AppState[], to?: string): Map<string, Entry[]> {
    if (to && !states.some((s) => s.migrations.some((m) => m.name === to))) {
      throw new ConfigError(`--to ${to}: no migration of that name in ${states.map((s) => s.app.name).join(', ')}`);
    }
    const result = new Map<string, Entry[]>();
    let reached = false;
    for (const s of states) {
      if (reached) {
        result.set(s.app.name, []);
        continue;
      }
      const stop = to ? s.migrations.findIndex((m) => m.name === to) : -1;
      if (stop >= 0) reached = true;
      const candidates = stop >= 0 ? s.migrations.slice(0, stop + 1) : s.migrations;
      result.set(s.app.name, candidates.filter((m) => !s.applied.has(m.historyName)));
    }
    return result;
  }

  /**
   * Captures a migration's SQL without executing it: writes are recorded, reads run in a
   * read-only transaction with short timeouts (a read the plan can't do is reported, and so are
   * the statements after it).
   */
  private async capture(s: AppState, entry: Entry, readLimitMs = 5000): Promise<PlannedMigration> {
    const migration = this.loaded(s, entry);
    const planned: PlannedMigration = { name: migration.name, file: migration.file, transactional: migration.transactional, statements: [], warnings: [] };
    let blockedRead: string | undefined;
    const session = await this.sessionOf(s);
    const sink: StatementSink = async (statement, execute) => {
      const parts = await analyzeSql(statement.sql);
      if (parts.length && parts.every((p) => p.readOnly)) {
        await session.query('savepoint zdm_plan');
        try {
          const { result } = await execute(statement.sql, statement.params);
          await session.query('release savepoint zdm_plan');
          planned.statements.push({ sql: statement.sql, params: statement.params, kind: 'read', concurrent: false, executed: true });
          return result;
        } catch (error) {
          await session.query('rollback to savepoint zdm_plan');
          blockedRead = pgErrorFields(error).message;
          planned.statements.push({ sql: statement.sql, params: statement.params, kind: 'read', concurrent: false, executed: false, note: `the plan could not run this read: ${blockedRead}` });
          planned.warnings.push(`a read inside up() could not run during the plan (${blockedRead}): the statements after it may differ when it runs`);
          return [];
        }
      }
      const pieces =
        parts.length > 1 && !statement.params?.length
          ? parts.map((p) => ({ sql: p.text, params: undefined, concurrent: p.outsideTransaction, transactionControl: p.transactionControl }))
          : [{ sql: statement.sql, params: statement.params, concurrent: parts[0]?.outsideTransaction ?? false, transactionControl: parts.length === 1 ? parts[0].transactionControl : undefined }];
      for (const piece of pieces) {
        planned.statements.push({ ...piece, kind: 'write', ...(blockedRead ? { note: 'depends on a read the plan could not do' } : {}) });
      }
      return [];
    };
    await session.query('begin read only');
    try {
      await session.query(`select set_config('lock_timeout', '1000ms', true), set_config('statement_timeout', $1, true)`, [`${readLimitMs}ms`]);
      // up() runs its own code too: one that never settles stops the plan, not the run
      const limitMs = this.options.settings.migrationTimeoutMs;
      await withinTimeLimit(migration.run('up', sink), limitMs, () => new Error(`its code did not finish within ${limitMs} ms (MIGRATION_TIMEOUT)`));
    } catch (error) {
      planned.warnings.push(`the plan stopped inside up(): ${pgErrorFields(error).message}; what follows is unknown`);
    } finally {
      await session.query('rollback').catch(() => undefined);
    }
    return planned;
  }

  /** `lint` asks with `reportTransactionControl`: it reports BEGIN/COMMIT as a finding, where `plan` and `up` refuse them. */
  async plan(options: { to?: string; reportTransactionControl?: boolean } = {}): Promise<AppPlan[]> {
    try {
      const states = await this.openAll(false);
      const pending = this.pendingOf(states, options.to);
      const plans: AppPlan[] = [];
      for (const s of states) {
        const migrations: PlannedMigration[] = [];
        for (const m of pending.get(s.app.name)!) {
          const planned = await this.capture(s, m);
          if (!options.reportTransactionControl) this.refuseTransactionControl(s, m, planned);
          migrations.push(await this.withCatalog(s, planned));
        }
        plans.push({ app: s.app.name, orm: s.app.orm, database: databaseKey(s.app.target), serverVersion: s.database.serverVersion, migrations });
      }
      return plans;
    } finally {
      await this.close();
    }
  }

  /**
   * The SQL of every migration of the apps, applied or not, executing none of it: `lint` by path,
   * where the run is the files given and nothing else.
   */
  async planFiles(): Promise<AppPlan[]> {
    try {
      const states = await this.openAll(false);
      const plans: AppPlan[] = [];
      for (const s of states) {
        const migrations: PlannedMigration[] = [];
        for (const m of s.migrations) migrations.push(await this.withCatalog(s, await this.capture(s, m)));
        plans.push({ app: s.app.name, orm: s.app.orm, database: databaseKey(s.app.target), serverVersion: s.database.serverVersion, migrations });
      }
      return plans;
    } finally {
      await this.close();
    }
  }

  // ---- up ------------------------------------------------------------------------------------

  async up(options: { to?: string; allowChanged?: boolean; revertOnFailure?: boolean; unsafeOk?: boolean; backup?: BackupSettings } = {}): Promise<RunSummary> {
    return this.runCommand(async (summary) => {
      // a waiter behind a run of the same release leaves once that run has applied everything
      const states = await this.openAll(true, () => this.nothingLeft(options.to));
      if (!states) return;
      await this.recordBaselines(states);
      const changed = states.flatMap((s) => s.migrations.filter((m) => this.stateOf(s, m).state === 'changed').map((m) => ({ app: s.app.name, name: m.name })));
      if (changed.length && !options.allowChanged) throw new ChangedMigrationError(changed);
      const pending = this.pendingOf(states, options.to);
      const backups = await this.checkBeforeRun(states, pending, options.unsafeOk === true);
      this.refuseWithoutBackup(backups, options.backup);
      try {
        for (const s of states) {
          for (const m of pending.get(s.app.name)!) {
            const backup = await this.backUpBefore(s, m, backups.get(m.file) ?? [], options.backup?.dir);
            summary.migrations.push(await this.execute(s, m, 'up', backup));
          }
        }
      } catch (error) {
        // no revert once the lock is gone: another run may be at work
        if (options.revertOnFailure !== false && !this.signal && !this.lockLost && summary.migrations.length) {
          await this.revertAfterFailure(summary, error);
        }
        throw error;
      }
    });
  }

  /** Migrations the ORM had applied before our run log existed: their checksums start from first sight. */
  private async recordBaselines(states: AppState[]): Promise<void> {
    for (const s of states) {
      for (const m of s.migrations) {
        if (!s.applied.has(m.historyName) || s.history.get(m.name)?.checksum) continue;
        await s.database.runLog.start({ ...this.entryBase(s, m), direction: 'baseline' });
        s.history.set(m.name, { ...s.history.get(m.name), checksum: m.checksum, historyName: m.historyName, transactional: m.transactional });
      }
    }
  }

  /** A destructive migration (dropping, truncating or rewriting data) with no --backup-dir where one is required: refused before anything runs. */
  private refuseWithoutBackup(backups: Map<string, BackupTarget[]>, backup: BackupSettings | undefined): void {
    if (!backup?.required || backup.dir) return;
    const destructive = [...backups.entries()].filter(([, targets]) => targets.length);
    if (!destructive.length) return;
    const what = destructive.map(([file, targets]) => `${basename(file).replace(/\.[cm]?[jt]s$/, '')} (${targets.map((t) => `${t.rule} ${t.table}${t.columns ? `.${t.columns.join(', ')}` : ''}`).join('; ')})`);
    throw new ConfigError(
      `${what.join(', ')}: drops, truncates or rewrites data, and ENV=production needs a backup first: pass --backup-dir <a durable folder> (in Kubernetes a mounted volume, not the pod's /tmp), or --no-backup to go without one on purpose`,
    );
  }

  /** Copies out what the migration is about to destroy, timed and reported, before it runs. */
  private async backUpBefore(s: AppState, m: Entry, targets: BackupTarget[], dir: string | undefined): Promise<RunEntryStart['backup']> {
    if (!targets.length || !dir) return undefined;
    const client = await openClient(s.app.target, `zdm-migrate backup ${s.app.name}`);
    try {
      const backup = await backups().backUp(client, dir, { app: s.app.name, migration: m.name, runId: this.options.runId }, targets);
      const record = { path: backup.path, durationMs: backup.durationMs, tables: backup.tables.map(({ table, rows, file }) => ({ table, rows, file })) };
      this.emit({ type: 'backup.finished', app: s.app.name, migration: m.name, ...record });
      // kept in the run log with the migration's up: where to restore from, long after the report is gone
      return record;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * What `up` is about to run, looked at before anything runs: transaction control and CONCURRENTLY
   * inside a transactional migration are refused outright (exit 2); error-level lint findings are
   * refused (exit 5) unless `unsafeOk`. The run is linted as one, so a table created earlier in the
   * same run is no hazard; migrations up to an app's `lintBaseline` are never judged.
   */
  private async checkBeforeRun(states: AppState[], pending: Map<string, Entry[]>, unsafeOk: boolean): Promise<Map<string, BackupTarget[]>> {
    const backups = new Map<string, BackupTarget[]>();
    const units: (LintUnit & { app: string; file: string; judged: boolean })[] = [];
    for (const s of states) {
      const baseline = s.app.lintBaseline ? s.migrations.findIndex((m) => m.name === s.app.lintBaseline) : -1;
      for (const m of pending.get(s.app.name)!) {
        // a quick look only: a slow read inside up() must not hold the run up twice
        const planned = await this.capture(s, m, 1000);
        if (m.transactional) {
          this.refuseTransactionControl(s, m, planned);
          const concurrent = planned.statements.find((st) => st.concurrent);
          if (concurrent) throw new UnsafeTransactionError(s.app.name, m.name, concurrent.sql, s.app.orm);
        }
        backups.set(m.file, await linter().backupTargets(planned.statements.filter((st) => st.kind === 'write').map((st) => st.sql.trim().replace(/;\s*$/, '')).join(';\n')));
        const unit = lintUnitOf(await this.withCatalog(s, planned), s.database.serverVersion, this.options.lint);
        units.push({ app: s.app.name, file: m.file, judged: s.migrations.indexOf(m) > baseline, ...unit });
      }
    }
    // nothing pending: nothing to lint, and the linter stays unloaded
    if (!units.length) return backups;
    // each file is one migration of one app: findings carry their file
    const unitOf = new Map(units.map((u) => [u.file, u]));
    const findings = linter().placeInSource(await linter().lintRun(units)).filter((f) => unitOf.get(f.file ?? '')?.judged).map((f) => ({ ...f, app: unitOf.get(f.file!)!.app }));
    const errors = findings.filter((f) => f.severity === 'error');
    if (findings.length) this.emit({ type: 'safety.findings', findings, refused: errors.length > 0 && !unsafeOk });
    if (errors.length && !unsafeOk) {
      throw new SafetyFindingsError(errors.map((f) => ({ app: f.app, migration: f.migration ?? '', file: f.file ?? '', rule: f.rule, message: f.message, fix: f.fix, statement: f.statement })));
    }
    return backups;
  }

  /** The migration with what the live catalog says about the columns it sets NOT NULL on, read before anything of the run runs. */
  private async withCatalog(s: AppState, planned: PlannedMigration): Promise<PlannedMigration> {
    const catalog = await readNotNullCatalog(s.database.control, lintUnitOf(planned, s.database.serverVersion));
    return catalog ? { ...planned, catalog } : planned;
  }

  /** BEGIN, COMMIT, ... inside a transactional migration would end the runner's transaction half-way: refused, no override. */
  private refuseTransactionControl(s: AppState, m: Entry, planned: PlannedMigration): void {
    if (!m.transactional) return;
    const control = planned.statements.find((st) => st.transactionControl);
    if (control) throw new TransactionControlError(s.app.name, m.name, m.file, control.sql, control.transactionControl!);
  }

  private entryBase(s: AppState, m: Entry) {
    return {
      runId: this.options.runId,
      app: s.app.name,
      migration: m.name,
      checksum: m.checksum,
      historyName: m.historyName,
      transactional: m.transactional,
      host: this.options.host,
      gitSha: this.options.gitSha?.(),
      command: this.options.command,
    };
  }

  private async execute(s: AppState, entry: Entry, direction: Direction, backup?: RunEntryStart['backup']): Promise<MigrationOutcome> {
    // a signal that came between two migrations stops the run before the next one starts
    if (this.signal) throw new InterruptedError(this.signal);
    if (this.lockLost) throw new RunLockLostError(this.lockLost);
    const runLog = s.database.runLog;
    s.database.monitor.warm();
    const m = this.loaded(s, entry);
    const session = await this.sessionOf(s);
    const entryId = await runLog.start({ ...this.entryBase(s, entry), direction, backup });
    this.emit({ type: 'migration.started', app: s.app.name, migration: m.name, direction, transactional: m.transactional });
    const started = performance.now();
    const redact = this.options.redact ?? ((text: string) => text);
    try {
      const { retries, lockWaitMs } = await new (executor().MigrationExecutor)(
        {
          app: s.app.name,
          session,
          monitor: s.database.monitor,
          where: `${s.app.target.host}:${s.app.target.port}`,
          serverVersion: s.database.serverVersion,
          runLog,
          entryId,
          settings: this.options.settings,
          emit: (e) => this.emit(e),
          interrupted: () => this.signal,
          lockLost: () => (this.lockLost ? new RunLockLostError(this.lockLost) : undefined),
          redact,
          resume: direction === 'up' ? s.history.get(m.name)?.partial?.statements : undefined,
        },
        m,
        direction,
      ).run();
      const durationMs = Math.round(performance.now() - started);
      await runLog.finish(entryId, { status: 'succeeded', durationMs, retries, lockWaitMs });
      if (direction === 'up') s.applied.set(m.historyName, new Date());
      else s.applied.delete(m.historyName);
      this.emit({ type: 'migration.finished', app: s.app.name, migration: m.name, direction, durationMs, retries, lockWaitMs });
      return { app: s.app.name, migration: m.name, direction, durationMs, retries, lockWaitMs };
    } catch (error) {
      const durationMs = Math.round(performance.now() - started);
      const message = error instanceof Error ? error.message : String(error);
      const { retries, lockWaitMs } = error instanceof MigrationFailedError ? error.counts : { retries: 0, lockWaitMs: 0 };
      await runLog.finish(entryId, { status: 'failed', durationMs, retries, lockWaitMs, error: redact(message) }).catch(() => undefined);
      this.emit({
        type: 'migration.failed',
        app: s.app.name,
        migration: m.name,
        direction,
        durationMs,
        retries,
        lockWaitMs,
        error: message,
        code: error instanceof MigrationFailedError ? error.pg.code : undefined,
        blockers: error instanceof MigrationFailedError ? error.blockers : [],
      });
      throw error;
    } finally {
      await this.resetSession(s);
    }
  }

  /**
   * After each migration, the session goes back to the state the runner set up; a session that
   * died (a lost connection) is closed, so a revert after it opens a new one.
   */
  private async resetSession(s: AppState): Promise<void> {
    if (!s.session) return;
    try {
      await s.session.reset();
    } catch {
      await s.app.adapter.close().catch(() => undefined);
      this.opened.delete(s.app.adapter);
      s.session = undefined;
    }
  }

  /** Reverts what this run applied, newest first, across apps. */
  private async revertAfterFailure(summary: RunSummary, cause: unknown): Promise<void> {
    const victims = [...summary.migrations].reverse();
    this.emit({ type: 'revert.started', reason: cause instanceof Error ? cause.message : String(cause), migrations: victims.map(({ app, migration }) => ({ app, migration })) });
    try {
      for (const victim of victims) {
        const s = this.states.get(victim.app)!;
        const m = s.migrations.find((x) => x.name === victim.migration)!;
        summary.reverted.push(await this.execute(s, m, 'down'));
      }
      this.emit({ type: 'revert.finished', ok: true, reverted: summary.reverted.map(({ app, migration }) => ({ app, migration })) });
    } catch (error) {
      this.emit({ type: 'revert.finished', ok: false, reverted: summary.reverted.map(({ app, migration }) => ({ app, migration })), error: (error as Error).message });
    }
  }

  // ---- down and revert -------------------------------------------------------------------------

  /**
   * Records the file's current checksum for applied migrations that show `changed` (Flyway's
   * repair): after an edit that changes nothing that runs (a comment, whitespace), the file stands
   * for what was applied. Runs nothing; refuses a migration that is not `changed`.
   */
  async acceptChecksums(options: { app: string; migrations: string[]; actor: string }): Promise<AcceptedChecksum[]> {
    try {
      const states = await this.openAll(true);
      const s = states.find((x) => x.app.name === options.app);
      if (!s) throw new ConfigError(`checksum: no app named ${options.app}`);
      const entries = options.migrations.map((name) => {
        const m = s.migrations.find((x) => x.name === name);
        if (!m) throw new ConfigError(`checksum --accept ${name}: ${s.app.name} has no migration file of that name`);
        const { state } = this.stateOf(s, m);
        if (state !== 'changed') throw new ConfigError(`checksum --accept ${name}: ${s.app.name}/${name} is ${state}, not changed: there is no edit to accept`);
        return m;
      });
      const accepted: AcceptedChecksum[] = [];
      for (const m of entries) {
        const previous = s.history.get(m.name)?.checksum ?? null;
        await s.database.runLog.start({ ...this.entryBase(s, m), direction: 'accept', actor: options.actor });
        accepted.push({ app: s.app.name, migration: m.name, previous, checksum: m.checksum, acceptedBy: options.actor, acceptedAt: new Date().toISOString() });
      }
      return accepted;
    } finally {
      await this.close();
    }
  }

  async down(options: { app: string; step?: number; to?: string }): Promise<RunSummary> {
    return this.runCommand(async (summary) => {
      const states = await this.openAll(true);
      const s = states.find((x) => x.app.name === options.app);
      if (!s) throw new ConfigError(`down: no app named ${options.app}`);
      const applied = s.migrations.filter((m) => s.applied.has(m.historyName)).reverse();
      let victims: Entry[];
      if (options.to) {
        const keep = applied.findIndex((m) => m.name === options.to);
        if (keep < 0) throw new ConfigError(`down --to ${options.to}: ${options.app} has no applied migration of that name`);
        victims = applied.slice(0, keep);
      } else {
        victims = applied.slice(0, options.step ?? 1);
      }
      for (const m of victims) summary.migrations.push(await this.execute(s, m, 'down'));
    });
  }

  async revert(): Promise<RunSummary> {
    return this.runCommand(async (summary) => {
      await this.openAll(true);
      const runs = await Promise.all([...this.databases.values()].map((d) => d.runLog.lastUpRun()));
      const last = runs.filter((r) => r !== undefined).sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())[0];
      if (!last) return;
      const sameRun = runs.filter((r) => r?.runId === last.runId).flatMap((r) => r!.migrations);
      for (const { app, migration } of [...sameRun].reverse()) {
        const s = this.states.get(app);
        const m = s?.migrations.find((x) => x.name === migration);
        if (!s || !m || !s.applied.has(m.historyName)) continue;
        summary.migrations.push(await this.execute(s, m, 'down'));
      }
    });
  }

  private async runCommand(work: (summary: RunSummary) => Promise<void>): Promise<RunSummary> {
    const started = performance.now();
    const summary: RunSummary = { runId: this.options.runId, status: 'ok', durationMs: 0, migrations: [], reverted: [] };
    this.emit({ type: 'run.started', runId: this.options.runId, command: this.options.command, apps: this.options.apps.map((a) => a.name) });
    try {
      await work(summary);
    } catch (error) {
      summary.status = error instanceof InterruptedError || this.signal ? 'interrupted' : 'failed';
      summary.error = error instanceof MigratorError ? error : this.signal ? new InterruptedError(this.signal) : wrapUnknown(error);
    } finally {
      await this.close();
    }
    summary.durationMs = Math.round(performance.now() - started);
    // a down's migrations are reverted ones: count each by its direction, reverts after a failure included
    const applied = summary.migrations.filter((m) => m.direction === 'up').length;
    const reverted = summary.migrations.length - applied + summary.reverted.length;
    this.emit({ type: 'run.finished', runId: summary.runId, status: summary.status, durationMs: summary.durationMs, applied, reverted });
    return summary;
  }
}

function wrapUnknown(error: unknown): MigratorError {
  return new UnexpectedError(error instanceof Error ? error.message : String(error), { cause: error });
}
