import type { LockMode, RelationLock } from '@zdm/migration-lint';
import { linter } from './linter';
import type { Blocker, Queryable } from './types';
import { toBlocker } from './watchdog';

/** A table a statement is about to lock, resolved to its oid on the migration's own session. */
export interface PlannedLock {
  oid: string;
  relation: string;
  mode: LockMode;
}

/** What one look at pg_locks found for a statement's tables. */
export interface LockSample {
  /**
   * Sessions whose transaction, older than the grace period, holds or awaits a lock on one of the
   * tables in a mode that conflicts with the statement's: an attempt now would queue behind them,
   * and every app session after it would queue behind the attempt.
   */
  blockers: Blocker[];
  /** The table the first blocker's lock is on, for the message. */
  relation?: string;
  /**
   * The migration's session already holds a lock that stops app writes (an earlier statement of
   * its transaction): waiting there would stall the app for the whole wait.
   */
  holdsWriteBlockingLock: boolean;
}

const quoteIdent = (part: string) => `"${part.replace(/"/g, '""')}"`;

/**
 * The tables `locks` names, resolved on `session` (its search_path, its transaction: a table the
 * migration created a statement earlier is found). Undefined when one of them cannot be resolved
 * or the statement locks no table: the caller then runs the statement as it always did.
 */
export async function planLocks(session: Queryable, locks: RelationLock[] | undefined): Promise<PlannedLock[] | undefined> {
  if (!locks?.length) return undefined;
  const names: string[] = [];
  for (const lock of locks) {
    const parts = lock.relation.split('.');
    // a name to_regclass could refuse (a cross-database or malformed one) would abort the session's transaction
    if (parts.length > 2 || parts.some((p) => !p || p === '?')) return undefined;
    names.push(parts.map(quoteIdent).join('.'));
  }
  const { rows } = await session.query(
    `select r.ord, case when r.of_index then (select i.indrelid from pg_index i where i.indexrelid = to_regclass(r.name)) else to_regclass(r.name)::oid end::text as oid
       from unnest($1::text[], $2::bool[]) with ordinality as r(name, of_index, ord)
      order by r.ord`,
    [names, locks.map((l) => l.tableOfIndex === true)],
  );
  if (rows.length !== locks.length || rows.some((r) => r.oid === null || r.oid === undefined)) return undefined;
  const planned = new Map<string, PlannedLock>();
  rows.forEach((row, i) => {
    const oid = String(row.oid);
    const lock = locks[i];
    const seen = planned.get(oid);
    // the same table named twice (an index and its table): both modes must be grantable; keep each
    if (seen && seen.mode === lock.mode) return;
    planned.set(seen ? `${oid}:${lock.mode}` : oid, { oid, relation: lock.relation, mode: lock.mode });
  });
  return [...planned.values()];
}

const LOCKS_SQL = `
  select l.relation::text as oid, l.mode, l.granted, l.pid,
         a.application_name, a.state, a.query_start, a.xact_start, a.query,
         (extract(epoch from clock_timestamp() - a.xact_start) * 1000)::float8 as age_ms,
         case when l.granted then false else $1 = any(pg_blocking_pids(l.pid)) end as waits_for_us
    from pg_locks l
    left join pg_stat_activity a on a.pid = l.pid
   where l.locktype = 'relation'
     and l.database = (select oid from pg_database where datname = current_database())
     and (l.pid = $1 or l.relation = any($2::oid[]))
     and l.pid is distinct from pg_backend_pid()`;

/**
 * Looks at the locks held or awaited on the planned tables, from a connection that is not the
 * migration's (the monitor). A conflicting lock of a transaction younger than `graceMs` does not
 * count: on a busy table some app transaction nearly always holds a write lock for a millisecond,
 * and a short attempt waits that out.
 */
export async function sampleLocks(monitor: Queryable, sessionPid: number, planned: PlannedLock[], graceMs: number): Promise<LockSample> {
  const { conflicts } = linter();
  const { rows } = await monitor.query(LOCKS_SQL, [sessionPid, [...new Set(planned.map((p) => p.oid))]]);
  let holdsWriteBlockingLock = false;
  let relation: string | undefined;
  const blockers = new Map<number, Blocker>();
  for (const row of rows) {
    const mode = row.mode as LockMode;
    if (row.pid === sessionPid) {
      if (row.granted && conflicts(mode, 'RowExclusiveLock')) holdsWriteBlockingLock = true;
      continue;
    }
    // a session queued behind the migration's own lock is no reason to wait: it waits for us
    if (row.waits_for_us) continue;
    const age = row.age_ms === null || row.age_ms === undefined ? null : Number(row.age_ms);
    if (age !== null && age < graceMs) continue;
    const wanted = planned.find((p) => p.oid === row.oid && conflicts(p.mode, mode));
    if (!wanted) continue;
    relation ??= wanted.relation;
    // a prepared transaction holds locks with no session (pid null): it still blocks
    const pid = row.pid === null ? 0 : Number(row.pid);
    if (!blockers.has(pid)) blockers.set(pid, toBlocker({ ...row, pid, age_ms: age === null ? null : Math.round(age) }));
  }
  return { blockers: [...blockers.values()], relation, holdsWriteBlockingLock };
}
