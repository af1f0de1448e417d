import { openClient, type DatabaseTarget } from '../control-connection';
import type { ObservedStatement, TargetRelation } from './trace.types';

/** What this machine's scratch server does per byte and per row, measured in the same run. */
export interface Calibration {
  rows: number;
  /** A full rewrite of the heap (ALTER COLUMN TYPE), no index: ms per byte of the table. */
  rewriteMsPerByte: number;
  /** A validating scan (ADD CONSTRAINT CHECK): ms per byte of the table. */
  scanMsPerByte: number;
  /** Building one btree index (scan and sort): ms per row. */
  indexMsPerRow: number;
  /** Bytes per row of the calibration table, for a table whose relpages is 0 (never vacuumed or analyzed). */
  bytesPerRow: number;
  durationMs: number;
}

const CALIBRATION_ROWS = 50_000;

/**
 * Calibrates on a scratch database of its own: a table shaped like an app table (a bigint key, a
 * uuid, an amount, a short text, a timestamp), filled, then rewritten, scanned and indexed, each
 * timed. An estimate scales these by the target table's size.
 */
export async function calibrate(target: DatabaseTarget): Promise<Calibration> {
  const started = performance.now();
  const c = await openClient(target, 'zdm-trace calibration');
  try {
    await c.query(`create table zdm_calibration (id bigint not null, ref uuid not null, amount integer not null, status varchar(32) not null, at timestamptz not null default now())`);
    await c.query(`insert into zdm_calibration (id, ref, amount, status) select i, md5(i::text)::uuid, i, 'open' from generate_series(1, $1::int) i`, [CALIBRATION_ROWS]);
    await c.query('vacuum analyze zdm_calibration');
    const size = async () => Number((await c.query<{ b: string }>(`select pg_relation_size('zdm_calibration')::int8 as b`)).rows[0].b);
    const timed = async (sql: string) => {
      const t = performance.now();
      await c.query(sql);
      return performance.now() - t;
    };
    const bytes = await size();
    const rewriteMs = await timed('alter table zdm_calibration alter column amount type bigint');
    const rewrittenBytes = await size();
    const scanMs = await timed('alter table zdm_calibration add constraint zdm_calibration_amount check (amount is not null)');
    const indexMs = await timed('create index zdm_calibration_id on zdm_calibration (id)');
    return {
      rows: CALIBRATION_ROWS,
      rewriteMsPerByte: rewriteMs / bytes,
      scanMsPerByte: scanMs / rewrittenBytes,
      indexMsPerRow: indexMs / CALIBRATION_ROWS,
      bytesPerRow: rewrittenBytes / CALIBRATION_ROWS,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await c.query('drop table if exists zdm_calibration').catch(() => undefined);
    await c.end().catch(() => undefined);
  }
}

export interface LockEstimate {
  /** How long the statement holds its locks on the target: an estimate. */
  estimatedLockMs: number;
  /** What it rests on, per table: rows, bytes, and which cost applied. */
  basis: { relation: string; rows: number; bytes: number; cost: 'rewrite' | 'scan' | 'index build' | 'catalog only'; ms: number }[];
}

/**
 * The time a statement holds its locks on the target: what it took on the (empty) scratch
 * database, plus, for each table it rewrites, scans or builds an index on, that table's size on
 * the target times the calibrated rate. A rewrite rebuilds every index of the table too.
 */
export function estimateLockMs(statement: ObservedStatement, relations: TargetRelation[], calibration: Calibration): LockEstimate {
  const basis: LockEstimate['basis'] = [];
  const sizeOf = (name: string) => {
    const r = relations.find((x) => x.name === name);
    const rows = r?.rows ?? 0;
    const bytes = r && r.bytes > 0 ? r.bytes : rows * calibration.bytesPerRow;
    return { rows, bytes, indexes: r?.indexes.length ?? 0 };
  };
  for (const table of statement.tables) {
    const { rows, bytes, indexes } = sizeOf(table);
    let ms = 0;
    let cost: LockEstimate['basis'][number]['cost'] = 'catalog only';
    if (statement.rewrites.includes(table)) {
      cost = 'rewrite';
      ms = bytes * calibration.rewriteMsPerByte + rows * calibration.indexMsPerRow * indexes;
    } else if (statement.buildsIndexOn.includes(table)) {
      cost = 'index build';
      ms = rows * calibration.indexMsPerRow;
    } else if (statement.scans.includes(table)) {
      cost = 'scan';
      ms = bytes * calibration.scanMsPerByte;
    }
    basis.push({ relation: table, rows, bytes, cost, ms: Math.round(ms) });
  }
  const scaled = basis.reduce((sum, b) => sum + b.ms, 0);
  return { estimatedLockMs: Math.max(1, Math.round(statement.evidence.scratchMs + scaled)), basis };
}
