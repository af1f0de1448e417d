import type { Finding } from '@zdm/migration-lint';
import { databaseKey, type DatabaseTarget } from '../control-connection';
import type { PlannedMigration } from '../engine';
import { calibrate, estimateLockMs, type Calibration, type LockEstimate } from './estimate';
import { blocksOf, StatementObserver, unionOfLocks } from './observe-statement';
import { TargetCatalog, type WriteSample } from './target-catalog';
import type { LongTransaction, ObservedLock, ObservedStatement, StatementEvidence, TargetLockHolder, TargetRelation } from './trace.types';

/** One app's migrations to trace, with the scratch database standing in for its target. */
export interface TraceApp {
  app: string;
  target: DatabaseTarget;
  /** The target's major: the linter's predictions are for it. */
  serverVersion: number;
  scratch: DatabaseTarget;
  migrations: PlannedMigration[];
  findings: Finding[];
}

export interface TraceOptions {
  apps: TraceApp[];
  /** Brings the scratch databases to the targets' state (our own runner, from empty); runs while the first write sample waits. */
  replay: () => Promise<void>;
  /** A scratch database of its own for the calibration, dropped after it. */
  calibrationDatabase: () => Promise<{ target: DatabaseTarget; drop(): Promise<void> }>;
  /** The interval between the two write-rate samples. */
  sampleMs: number;
  /** Transactions on the target older than this are reported: the DDL would queue behind them. */
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  log?: (line: string) => void;
}

/** A lint finding of the statement, marked by what the trace saw. */
export interface TracedFinding {
  rule: string;
  severity: string;
  message: string;
  fix: string;
  trace: 'confirmed' | 'not observed';
  /** What the mark rests on. */
  evidence: string;
}

export interface TracedStatement {
  app: string;
  migration: string;
  /** 0-based, among the migration's statements that the trace ran. */
  index: number;
  sql: string;
  transactional: boolean;
  locks: ObservedLock[];
  rewrites: string[];
  scans: string[];
  relations: { name: string; rows: number; bytes: number; writesPerSecond: number | null }[];
  /** An estimate: the scratch run's duration, plus each rewritten, scanned or indexed table's size on the target times the rate calibrated in this run. */
  estimatedLockMs: number;
  /** Writes that would wait meanwhile: the write rate of each table whose writes the locks block, times the estimate. */
  writesWaiting: number;
  estimate: LockEstimate['basis'];
  evidence: StatementEvidence;
  findings: TracedFinding[];
  /** Its locks block app traffic on a table that exists on the target. */
  dangerous: boolean;
}

/** A transactional migration as the real run holds it: the union of its statements' locks, held until its COMMIT. */
export interface TracedMigration {
  app: string;
  migration: string;
  transactional: boolean;
  locks: ObservedLock[];
  /** The sum of its statements' estimates: a transactional migration holds every lock until COMMIT. */
  estimatedLockMs: number;
}

export interface TraceReport {
  statements: TracedStatement[];
  migrations: TracedMigration[];
  longTransactions: { database: string; transactions: LongTransaction[] }[];
  lockHolders: { database: string; holders: TargetLockHolder[] }[];
  targets: { database: string; major: number }[];
  calibration: Calibration;
  timings: { replayMs: number; calibrationMs: number; traceMs: number; catalogMs: number; sampleMs: number };
}

/** Lint rules by what the trace can see of their hazard. */
const HAZARD: Record<string, 'rewrite' | 'scan' | 'blocking lock'> = {
  'changing-column-type': 'rewrite',
  'adding-volatile-default': 'rewrite',
  'adding-stored-generated-column': 'rewrite',
  'adding-serial-or-identity-column': 'rewrite',
  'ban-vacuum-full-cluster': 'rewrite',
  'constraint-missing-not-valid': 'scan',
  'setting-not-null': 'scan',
  'domain-constraint-missing-not-valid': 'scan',
  'disallowed-unique-constraint': 'scan',
  'require-concurrent-index-creation': 'scan',
};

function mark(finding: Finding, statement: ObservedStatement, heldUntilCommit: ObservedLock[]): TracedFinding {
  const hazard = HAZARD[finding.rule] ?? 'blocking lock';
  const base = { rule: finding.rule, severity: finding.severity, message: finding.message, fix: finding.fix };
  const e = statement.evidence;
  if (hazard === 'rewrite') {
    const r = e.relfilenodes.find((x) => x.kind === 'table');
    return r
      ? { ...base, trace: 'confirmed', evidence: `relfilenode of ${r.relation} ${r.before} -> ${r.after}: the table was rewritten` }
      : { ...base, trace: 'not observed', evidence: `no relfilenode changed: no rewrite on PostgreSQL of the scratch server` };
  }
  if (hazard === 'scan') {
    const s = e.seqScans[0];
    const built = e.indexes.find((i) => i.change === 'created');
    const r = e.relfilenodes.find((x) => x.kind === 'table');
    if (s) return { ...base, trace: 'confirmed', evidence: `seq_scan +${s.seqScans} on ${s.relation} (pg_stat_xact_user_tables)` };
    if (built) return { ...base, trace: 'confirmed', evidence: `index ${built.index} built on ${built.relation}: the build reads the whole table` };
    if (r) return { ...base, trace: 'confirmed', evidence: `relfilenode of ${r.relation} ${r.before} -> ${r.after}: rewritten, which reads the whole table` };
    return { ...base, trace: 'not observed', evidence: 'seq_scan unchanged on every table (pg_stat_xact_user_tables): no scan' };
  }
  const blocking = [...statement.locks, ...heldUntilCommit].find((l) => l.blocks.length > 0);
  const row = blocking && e.pgLocks.find((l) => l.relation === blocking.relation && l.mode === blocking.mode);
  return blocking
    ? { ...base, trace: 'confirmed', evidence: `pg_locks: ${blocking.mode} on ${blocking.relation}${row ? ` (pid ${row.pid}, granted ${row.granted})` : ' (held until COMMIT)'}, which blocks ${blocking.blocks.join(' and ')}` }
    : { ...base, trace: 'not observed', evidence: `pg_locks: no lock that blocks reads or writes (${statement.locks.map((l) => `${l.mode} on ${l.relation}`).join(', ') || 'no relation lock'})` };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Traces the pending statements of the apps: each observed on its own on a scratch database at the
 * target's schema, joined with the target's live size and traffic (read-only), with an estimate of
 * how long each holds its locks there and the lint findings marked confirmed or not observed.
 */
export async function traceRun(options: TraceOptions): Promise<TraceReport> {
  const catalogs = new Map<string, TargetCatalog>();
  const firstSamples = new Map<string, WriteSample>();
  let catalogMs = 0;
  const timedCatalog = async <T>(work: () => Promise<T>) => {
    const t = performance.now();
    try {
      return await work();
    } finally {
      catalogMs += performance.now() - t;
    }
  };
  try {
    for (const a of options.apps) {
      const key = databaseKey(a.target);
      if (catalogs.has(key)) continue;
      const catalog = await timedCatalog(() => TargetCatalog.open(a.target));
      catalogs.set(key, catalog);
      firstSamples.set(key, await timedCatalog(() => catalog.sampleWrites()));
    }
    const sampledAt = performance.now();
    let t = performance.now();
    await options.replay();
    const replayMs = performance.now() - t;
    const calibrationDb = await options.calibrationDatabase();
    const calibration = await calibrate(calibrationDb.target).finally(() => calibrationDb.drop().catch(() => undefined));
    options.log?.(`calibrated in ${calibration.durationMs} ms: rewrite ${(1 / calibration.rewriteMsPerByte / 1000).toFixed(0)} MB/s, scan ${(1 / calibration.scanMsPerByte / 1000).toFixed(0)} MB/s, index build ${(1 / calibration.indexMsPerRow).toFixed(0)} rows/ms`);

    t = performance.now();
    const observed: { app: TraceApp; migration: PlannedMigration; statements: ObservedStatement[] }[] = [];
    const observers = new Map<string, StatementObserver>();
    try {
      for (const a of options.apps) {
        const key = databaseKey(a.scratch);
        if (!observers.has(key)) observers.set(key, await StatementObserver.open(a.scratch, { pgVersion: a.serverVersion, statementTimeoutMs: options.statementTimeoutMs }));
        const observer = observers.get(key)!;
        for (const m of a.migrations) {
          const statements: ObservedStatement[] = [];
          for (const s of m.statements.filter((x) => x.kind === 'write')) {
            // outside a transaction block, a statement of a non-transactional migration is its own transaction anyway
            statements.push(await observer.observe(s.sql, s.params, s.concurrent));
          }
          observed.push({ app: a, migration: m, statements });
        }
      }
    } finally {
      for (const o of observers.values()) await o.close();
    }
    const traceMs = performance.now() - t;

    const wait = options.sampleMs - (performance.now() - sampledAt);
    if (wait > 0) await sleep(wait);
    const relationsByDb = new Map<string, TargetRelation[]>();
    const longTransactions: TraceReport['longTransactions'] = [];
    const lockHolders: TraceReport['lockHolders'] = [];
    const targets: TraceReport['targets'] = [];
    for (const [key, catalog] of catalogs) {
      const second = await timedCatalog(() => catalog.sampleWrites());
      const names = [...new Set(observed.filter((o) => databaseKey(o.app.target) === key).flatMap((o) => o.statements.flatMap((s) => s.tables)))];
      relationsByDb.set(key, await timedCatalog(() => catalog.relations(names, firstSamples.get(key), second)));
      longTransactions.push({ database: key, transactions: await timedCatalog(() => catalog.longTransactions(options.lockTimeoutMs)) });
      lockHolders.push({ database: key, holders: await timedCatalog(() => catalog.lockHolders(names)) });
      targets.push({ database: key, major: await timedCatalog(() => catalog.major()) });
    }

    const statements: TracedStatement[] = [];
    const migrations: TracedMigration[] = [];
    for (const { app, migration, statements: list } of observed) {
      const relations = relationsByDb.get(databaseKey(app.target)) ?? [];
      const union = migration.transactional ? unionOfLocks(list.flatMap((s) => s.locks)) : [];
      let sum = 0;
      list.forEach((s, index) => {
        const estimate = estimateLockMs(s, relations, calibration);
        sum += estimate.estimatedLockMs;
        const mine = relations.filter((r) => s.tables.includes(r.name));
        const blocksWritesOn = new Set(s.locks.filter((l) => blocksOf(l.mode).includes('INSERT/UPDATE/DELETE')).map((l) => l.relation));
        const waiting = mine.filter((r) => blocksWritesOn.has(r.name)).reduce((n, r) => n + ((r.writesPerSecond ?? 0) * estimate.estimatedLockMs) / 1000, 0);
        const findings = app.findings
          .filter((f) => f.migration === migration.name && f.statementIndex === index)
          .map((f) => mark(f, s, union));
        const onTarget = new Set(mine.filter((r) => r.rowsFrom !== 'absent').map((r) => r.name));
        statements.push({
          app: app.app,
          migration: migration.name,
          index,
          sql: s.sql,
          transactional: migration.transactional,
          locks: s.locks,
          rewrites: s.rewrites,
          scans: s.scans,
          relations: mine.map(({ name, rows, bytes, writesPerSecond }) => ({ name, rows, bytes, writesPerSecond })),
          estimatedLockMs: estimate.estimatedLockMs,
          writesWaiting: Math.round(waiting),
          estimate: estimate.basis,
          evidence: s.evidence,
          findings,
          dangerous: s.locks.some((l) => l.blocks.length > 0 && onTarget.has(l.relation)),
        });
      });
      migrations.push({ app: app.app, migration: migration.name, transactional: migration.transactional, locks: migration.transactional ? union : unionOfLocks(list.flatMap((s) => s.locks)), estimatedLockMs: sum });
    }
    return {
      statements,
      migrations,
      longTransactions,
      lockHolders,
      targets,
      calibration,
      timings: { replayMs: Math.round(replayMs), calibrationMs: calibration.durationMs, traceMs: Math.round(traceMs), catalogMs: Math.round(catalogMs), sampleMs: options.sampleMs },
    };
  } finally {
    for (const c of catalogs.values()) await c.close();
  }
}
