import type { LockMode } from '@zdm/migration-lint';

/** What app traffic a held lock makes wait: plain reads (SELECT), writes (INSERT/UPDATE/DELETE). */
export type BlockedOperation = 'SELECT' | 'INSERT/UPDATE/DELETE';

/** A relation lock seen in `pg_locks`, with what it blocks while held. */
export interface ObservedLock {
  /** `schema.name`. */
  relation: string;
  mode: LockMode;
  blocks: BlockedOperation[];
}

/** One `pg_locks` row of the statement's backend, as read. */
export interface PgLockRow {
  pid: number;
  /** pg_locks.relation. */
  oid: number;
  relation: string;
  relkind: string | null;
  mode: string;
  granted: boolean;
}

export interface RelfilenodeChange {
  relation: string;
  kind: 'table' | 'index';
  before: number;
  after: number;
}

export interface SeqScanDelta {
  relation: string;
  seqScans: number;
}

export interface ConstraintChange {
  relation: string;
  name: string;
  /** pg_constraint.contype: c check, f foreign key, p primary key, u unique, n not null, x exclusion. */
  type: string;
  validated: boolean;
  change: 'added' | 'validated' | 'dropped';
}

export interface IndexChange {
  relation: string;
  index: string;
  valid: boolean;
  change: 'created' | 'dropped' | 'rebuilt';
}

/** What a statement was seen doing on the scratch database: every flag of the trace rests on it. */
export interface StatementEvidence {
  /** The `pg_locks` rows of the backend that ran it, read before its commit (CONCURRENTLY: from a second session while it ran). */
  pgLocks: PgLockRow[];
  /** `relfilenode`s that changed: a rewrite of the table or a rebuild of the index. */
  relfilenodes: RelfilenodeChange[];
  /** `seq_scan` deltas in `pg_stat_xact_user_tables`: full reads of a table. */
  seqScans: SeqScanDelta[];
  constraints: ConstraintChange[];
  indexes: IndexChange[];
  /** What the linter's lockModes predicted it locks; `unpredicted` lists what was seen beyond it. */
  predictedLocks: { relation: string; mode: LockMode }[];
  unpredicted: ObservedLock[];
  /** How it ran: in a transaction of its own, committed after the reads; or outside one, watched from a second session. */
  observedHow: 'own transaction' | 'second session';
  /** Its duration on the scratch database, where the tables hold no rows. */
  scratchMs: number;
  /** The error it met on the scratch database, if any: what follows may differ from the real run. */
  error?: string;
}

/** One statement observed on its own. */
export interface ObservedStatement {
  sql: string;
  locks: ObservedLock[];
  rewrites: string[];
  scans: string[];
  /** Tables it creates: new and empty, no hazard. */
  created: string[];
  /** The tables its locks, rewrites and scans are on (indexes resolved to their table). */
  tables: string[];
  /** An index it builds (CREATE INDEX, a constraint backed by one): the build reads the table and sorts. */
  buildsIndexOn: string[];
  truncates: boolean;
  evidence: StatementEvidence;
}

/** A table's size and traffic on the target, from the catalog and statistics views only. */
export interface TargetRelation {
  name: string;
  rows: number;
  bytes: number;
  writesPerSecond: number | null;
  indexes: string[];
  /** Where `rows` came from: `pg_class.reltuples`, or `n_live_tup` before the first ANALYZE. */
  rowsFrom: 'reltuples' | 'n_live_tup' | 'absent';
}

/** A session on the target whose transaction is older than the lock timeout: the DDL would queue behind it. */
export interface LongTransaction {
  pid: number;
  applicationName: string | null;
  state: string | null;
  transactionAgeMs: number;
  query: string | null;
}

/** A lock another session holds right now on a table the trace names. */
export interface TargetLockHolder {
  relation: string;
  pid: number;
  mode: string;
  applicationName: string | null;
  state: string | null;
}
