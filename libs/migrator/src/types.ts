/** The contracts between the engine, its ORM adapters and whoever drives it (the CLI). */

export type OrmName = 'typeorm' | 'mikro-orm';
export type Direction = 'up' | 'down';

/** Per-migration overrides, declared on the migration class itself, the same shape for both ORMs. */
export interface MigrationOverrides {
  lockTimeoutMs?: number;
  lockRetries?: number;
  statementTimeoutMs?: number;
  timeoutMs?: number;
}

/** What the engine asks an adapter to execute: one SQL text, as the migration emitted it. */
export interface EmittedStatement {
  sql: string;
  params?: unknown[];
}

/**
 * Every statement a migration emits passes through the sink. The engine decides whether and how
 * to run it (timeouts, retries, plan mode) and calls `execute` with the SQL to run on the
 * migration's session; the adapter's `execute` gives back what the ORM's own call would.
 */
export type StatementSink = (statement: EmittedStatement, execute: Execute) => Promise<unknown>;

/** Runs SQL on the migration's session; `result` is what the ORM's own call returns to the migration. */
export type Execute = (sql: string, params?: unknown[]) => Promise<ExecuteResult>;

export interface ExecuteResult {
  result: unknown;
  rowCount: number | null;
}

export interface SessionResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
}

/** Anything that runs a query: a migration session, or the engine's own connection. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<SessionResult>;
}

/** The one database session a migration runs on. */
export interface MigrationSession extends Queryable {
  readonly pid: number;
  /**
   * Puts the session back to the state the runner set up (`RESET ALL`, then the adapter's own
   * settings): what one migration SETs (search_path, a timeout) never leaks into the next.
   */
  reset(): Promise<void>;
}

/** A migration file found on disk, not loaded yet. */
export interface MigrationFile {
  /** The file's base name without extension: its name everywhere. */
  name: string;
  file: string;
  /** sha256 of the source with normalised line endings, or from the build's manifest. */
  checksum: string;
}

/** A migration file loaded, ready to run. */
export interface LoadedMigration extends MigrationFile {
  /** What the ORM writes in its history table (TypeORM: the class name). */
  historyName: string;
  /** TypeORM's timestamp (the class name's last 13 digits). */
  ormTimestamp?: number;
  transactional: boolean;
  overrides: MigrationOverrides;
  /** Runs the migration's `up` or `down`; every statement goes through `sink`. */
  run(direction: Direction, sink: StatementSink): Promise<void>;
  /** Records the migration in (up) or removes it from (down) the ORM's history, through `sink`. */
  record(direction: Direction, sink: StatementSink): Promise<void>;
}

export interface AppliedRecord {
  historyName: string;
  appliedAt: Date | null;
}

/** What every adapter is built from: an app, its database, its migration files. */
export interface AdapterOptions {
  app: string;
  url: string;
  /** The schema of the history table. */
  schema?: string;
  /**
   * A schema-per-tenant target's schema: the migration session's search_path starts with it, so the
   * migrations' unqualified tables land in the tenant's schema.
   */
  tenantSchema?: string;
  files: string[];
  /** The ORM's history table, when not its default. */
  historyTable?: string;
  applicationName?: string;
}

/** One ORM's side of the engine: the only code that imports an ORM. */
export interface OrmAdapter {
  readonly orm: OrmName;
  /** The ORM's history table, schema-qualified when it has a schema. */
  readonly historyTable: string;
  /** Opens the session migrations run on (and loads the ORM). */
  connect(): Promise<MigrationSession>;
  /** The migration files, without loading them. */
  files(): MigrationFile[];
  /** Loads one migration module. */
  load(file: MigrationFile): LoadedMigration;
  /** The ORM's order of two migrations, by their history names (TypeORM: the class name's timestamp). */
  compare(a: MigrationFile & { historyName: string }, b: MigrationFile & { historyName: string }): number;
  /** The order timestamp the ORM reads from a history name, for ORMs that have one (TypeORM: the class name's last 13 digits). */
  ormTimestampOf?(historyName: string): number;
  /** What the ORM writes as the history name of a migration it has not loaded, when that follows from the file alone. */
  historyNameOf(file: MigrationFile): string | undefined;
  /** Creates the ORM's history table as the ORM itself would, through `sink`. */
  ensureHistoryTable(sink: StatementSink): Promise<void>;
  /** What the ORM's history says was applied (empty when the table does not exist yet). */
  applied(reader: Queryable): Promise<AppliedRecord[]>;
  close(): Promise<void>;
}

export interface Blocker {
  pid: number;
  applicationName: string | null;
  state: string | null;
  transactionAgeMs: number | null;
  /** When its transaction began: the same pid with the same start is the same transaction. */
  transactionStart?: string | null;
  /** How long its session has been open (the run-lock holder). */
  sessionAgeMs?: number | null;
  queryStart: string | null;
  query: string | null;
}

export interface IndexBuildProgress {
  phase: string;
  percent: number | null;
}

/** One migration run in one direction: how long it took and what its lock waits cost. */
export interface MigrationOutcome {
  app: string;
  migration: string;
  direction: Direction;
  durationMs: number;
  retries: number;
  lockWaitMs: number;
}

export type EngineEvent =
  | { type: 'run.started'; runId: string; command: string; apps: string[] }
  | { type: 'lock.waiting'; database: string; holder?: Blocker; waitedMs: number }
  | { type: 'lock.acquired'; database: string; waitedMs: number }
  /** Another run held the lock and, read without it, nothing of this release is left to apply. */
  | { type: 'lock.unneeded'; database: string; waitedMs: number }
  | { type: 'migration.started'; app: string; migration: string; direction: Direction; transactional: boolean }
  | { type: 'statement.finished'; app: string; migration: string; position: number; sql: string; durationMs: number; rowCount: number | null; skipped?: boolean }
  | { type: 'statement.slow'; app: string; migration: string; sql: string; elapsedMs: number; waitEvent: string | null; blockers: Blocker[]; progress?: IndexBuildProgress }
  | {
      type: 'migration.retrying';
      app: string;
      migration: string;
      attempt: number;
      attempts: number;
      delayMs: number;
      code: string;
      blockers: Blocker[];
      /** The attempt was not made: the session that blocked the last one still held its lock. */
      skipped?: true;
      /**
       * The attempt did not ask for its lock: an older transaction held a conflicting one for all of
       * its lock_timeout, so no app session was queued behind it.
       */
      notRequested?: true;
    }
  | { type: 'index.repaired'; app: string; migration: string; index: string }
  /** What a migration was about to drop, truncate or rewrite, copied out before it ran. */
  | { type: 'backup.finished'; app: string; migration: string; path: string; durationMs: number; tables: { table: string; rows: number; file: string }[] }
  /** An earlier, killed attempt's index build still runs on the server: waited for, not duplicated. */
  | { type: 'index.waiting'; app: string; migration: string; index: string; pid: number }
  /** An earlier, killed attempt's index build finished: the index is valid and has the statement's definition. */
  | { type: 'index.adopted'; app: string; migration: string; index: string }
  /** What the lint gate found in what `up` is about to run; `refused` when it stops the run. */
  | {
      type: 'safety.findings';
      refused: boolean;
      findings: { app: string; migration?: string; file?: string; line?: number; rule: string; severity: string; message: string; fix: string; statement: string }[];
    }
  /** Runs a killed process left `running`, marked `abandoned` by the run that took the lock next. */
  | { type: 'runs.abandoned'; database: string; runs: { app: string; migration: string; runId: string }[] }
  | ({ type: 'migration.finished' } & MigrationOutcome)
  | ({ type: 'migration.failed'; error: string; code?: string; blockers: Blocker[] } & MigrationOutcome)
  | { type: 'revert.started'; reason: string; migrations: { app: string; migration: string }[] }
  | { type: 'revert.finished'; ok: boolean; reverted: { app: string; migration: string }[]; error?: string }
  | { type: 'run.finished'; runId: string; status: 'ok' | 'failed' | 'interrupted'; durationMs: number; applied: number; reverted: number };

export type EventListener = (event: EngineEvent) => void;
