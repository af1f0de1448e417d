import type { LockMode, ParsedStatement, RelationLock } from '@zdm/migration-lint';
import { linter } from '../linter';
import type { Client } from 'pg';
import { openClient, type DatabaseTarget } from '../control-connection';
import { pgErrorFields } from '../pg-error';
import type { BlockedOperation, ConstraintChange, IndexChange, ObservedLock, ObservedStatement, PgLockRow, RelfilenodeChange, SeqScanDelta } from './trace.types';

/** What a held mode makes app traffic wait for: a plain SELECT takes ACCESS SHARE, a write ROW EXCLUSIVE. */
export function blocksOf(mode: LockMode): BlockedOperation[] {
  const blocked: BlockedOperation[] = [];
  if (linter().conflicts(mode, 'AccessShareLock')) blocked.push('SELECT');
  if (linter().conflicts(mode, 'RowExclusiveLock')) blocked.push('INSERT/UPDATE/DELETE');
  return blocked;
}

const strength = (mode: LockMode) => linter().LOCK_MODES.indexOf(mode);
const isLockMode = (mode: string): mode is LockMode => (linter().LOCK_MODES as readonly string[]).includes(mode);

/** The strongest mode per relation: what a transaction holds once all its statements ran. */
export function unionOfLocks(locks: ObservedLock[]): ObservedLock[] {
  const strongest = new Map<string, LockMode>();
  for (const l of locks) {
    const held = strongest.get(l.relation);
    if (!held || strength(l.mode) > strength(held)) strongest.set(l.relation, l.mode);
  }
  return [...strongest].map(([relation, mode]) => ({ relation, mode, blocks: blocksOf(mode) }));
}

interface RelationRow {
  oid: number;
  name: string;
  relkind: string;
  relfilenode: number;
  table: string | null;
  valid: boolean | null;
}

interface Snapshot {
  relations: Map<number, RelationRow>;
  constraints: Map<number, { name: string; type: string; validated: boolean; relation: string }>;
  seqScans: Map<number, number>;
}

const USER_SCHEMA = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'`;

const RELATIONS_SQL = `
  select c.oid::int8 as oid, n.nspname || '.' || c.relname as name, c.relkind::text as relkind, c.relfilenode::int8 as relfilenode,
         tn.nspname || '.' || t.relname as "table", i.indisvalid as valid
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    left join pg_index i on i.indexrelid = c.oid
    left join pg_class t on t.oid = i.indrelid left join pg_namespace tn on tn.oid = t.relnamespace
   where c.relkind in ('r', 'p', 'm', 'i', 'I') and ${USER_SCHEMA}`;

const CONSTRAINTS_SQL = `
  select con.oid::int8 as oid, con.conname as name, con.contype::text as type, con.convalidated as validated, n.nspname || '.' || c.relname as relation
    from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
   where ${USER_SCHEMA}`;

const LOCKS_SQL = `
  select l.pid, l.relation::int8 as oid, n.nspname || '.' || c.relname as relation, c.relkind::text as relkind, l.mode, l.granted
    from pg_locks l left join pg_class c on c.oid = l.relation left join pg_namespace n on n.oid = c.relnamespace
   where l.pid = $1 and l.locktype = 'relation' and l.database = (select oid from pg_database where datname = current_database())
     -- below 16384 (FirstNormalObjectId): the system catalogs the snapshot queries themselves lock
     and l.relation >= 16384 and (n.nspname is null or (${USER_SCHEMA}))`;

/** The user relations, constraints and (in a transaction) seq scans so far, to compare before and after. */
async function snapshot(client: Client, inTransaction: boolean): Promise<Snapshot> {
  const relations = await client.query<{ oid: string; name: string; relkind: string; relfilenode: string; table: string | null; valid: boolean | null }>(RELATIONS_SQL);
  const constraints = await client.query<{ oid: string; name: string; type: string; validated: boolean; relation: string }>(CONSTRAINTS_SQL);
  const scans = inTransaction ? await client.query<{ oid: string; n: string }>(`select relid::int8 as oid, seq_scan::int8 as n from pg_stat_xact_user_tables`) : { rows: [] };
  return {
    relations: new Map(relations.rows.map((r) => [Number(r.oid), { ...r, oid: Number(r.oid), relfilenode: Number(r.relfilenode) }])),
    constraints: new Map(constraints.rows.map((r) => [Number(r.oid), r])),
    seqScans: new Map(scans.rows.map((r) => [Number(r.oid), Number(r.n)])),
  };
}

/** A relation named only by its OID: not visible to the session that read pg_locks, not a table the trace can size. */
const isBareOid = (name: string) => /^\d+$/.test(name);
const isTable = (relkind: string) => relkind === 'r' || relkind === 'p' || relkind === 'm';
const isIndex = (relkind: string) => relkind === 'i' || relkind === 'I';

/** `"public"."chargebacks"`, `chargebacks`: the name as the catalog spells it, to match `schema.name` against. */
const bareName = (written: string) => written.replace(/"/g, '');
const sameRelation = (qualified: string, written: string) => {
  const w = bareName(written);
  return w.includes('.') ? qualified === w : qualified.slice(qualified.indexOf('.') + 1) === w;
};

/**
 * Runs statements on a scratch database one at a time and reads what each one holds: relation
 * locks from `pg_locks`, `relfilenode`s before and after (a rewrite), `seq_scan` deltas (a scan),
 * constraints and indexes created or validated. A statement that may run in a transaction runs in
 * one of its own and is read before its commit; one that may not (CONCURRENTLY) runs outside one
 * and is watched from a second session, which holds a snapshot and a lock on its table so that the
 * statement waits where PostgreSQL makes it wait, with its locks taken.
 */
export class StatementObserver {
  private constructor(
    private readonly client: Client,
    private readonly watcher: Client,
    private readonly pid: number,
    private readonly pgVersion: number,
    private readonly statementTimeoutMs: number,
  ) {}

  static async open(target: DatabaseTarget, options: { pgVersion: number; statementTimeoutMs: number }): Promise<StatementObserver> {
    const client = await openClient(target, 'zdm-trace');
    const watcher = await openClient(target, 'zdm-trace watcher').catch(async (error: unknown) => {
      await client.end().catch(() => undefined);
      throw error;
    });
    // unqualified names in an app's migrations resolve in its schema, as on the app's own session
    if (target.schema) await client.query(`select set_config('search_path', $1, false)`, [`"${target.schema.replace(/"/g, '""')}", public`]);
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    return new StatementObserver(client, watcher, rows[0].pid, options.pgVersion, options.statementTimeoutMs);
  }

  async close(): Promise<void> {
    await this.watcher.end().catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }

  /** Observes one statement; `outsideTransaction` for what PostgreSQL refuses inside a transaction block. */
  async observe(sql: string, params: unknown[] | undefined, outsideTransaction: boolean): Promise<ObservedStatement> {
    const parsed = await linter().parseStatements(sql).catch(() => [] as ParsedStatement[]);
    const predicted = parsed.flatMap((p) => linter().lockModes(p, this.pgVersion));
    return outsideTransaction ? this.observeOutside(sql, params, parsed, predicted) : this.observeInTransaction(sql, params, parsed, predicted);
  }

  private async observeInTransaction(sql: string, params: unknown[] | undefined, parsed: ParsedStatement[], predicted: RelationLock[]): Promise<ObservedStatement> {
    const c = this.client;
    await c.query('begin');
    let error: string | undefined;
    let scratchMs = 0;
    let locks: PgLockRow[] = [];
    let before: Snapshot | undefined;
    let after: Snapshot | undefined;
    try {
      await c.query(`select set_config('statement_timeout', $1, true)`, [`${this.statementTimeoutMs}ms`]);
      before = await snapshot(c, true);
      const started = performance.now();
      await c.query('savepoint zdm_trace');
      try {
        await c.query(sql, params);
        scratchMs = performance.now() - started;
        locks = await this.locksOf(c, this.pid, before);
        after = await snapshot(c, true);
      } catch (e) {
        scratchMs = performance.now() - started;
        error = pgErrorFields(e).message;
        await c.query('rollback to savepoint zdm_trace');
      }
      await c.query('commit');
    } catch (e) {
      error ??= pgErrorFields(e).message;
      await c.query('rollback').catch(() => undefined);
    }
    return this.result(sql, parsed, predicted, before, after ?? before, locks, scratchMs, 'own transaction', error);
  }

  private async observeOutside(sql: string, params: unknown[] | undefined, parsed: ParsedStatement[], predicted: RelationLock[]): Promise<ObservedStatement> {
    const before = await snapshot(this.client, false);
    const w = this.watcher;
    // the watcher's snapshot (and its ACCESS SHARE on the tables) is what CONCURRENTLY waits out:
    // the statement stops there with its own locks taken, for as long as the watcher looks
    await w.query('begin isolation level repeatable read');
    await w.query('select 1');
    const tables = new Set<string>();
    for (const p of predicted) {
      const row = [...before.relations.values()].find((r) => sameRelation(r.name, p.relation));
      if (row) tables.add(isIndex(row.relkind) && row.table ? row.table : row.name);
    }
    for (const table of tables) {
      const [schema, name] = [table.slice(0, table.indexOf('.')), table.slice(table.indexOf('.') + 1)];
      await w.query(`lock table "${schema.replace(/"/g, '""')}"."${name.replace(/"/g, '""')}" in access share mode nowait`).catch(() => undefined);
    }
    let error: string | undefined;
    const started = performance.now();
    let settled = false;
    const running = this.client
      .query({ text: `set statement_timeout = ${Math.max(1, Math.round(this.statementTimeoutMs))}` })
      .then(() => this.client.query(sql, params))
      .catch((e: unknown) => {
        error = pgErrorFields(e).message;
      })
      .finally(() => (settled = true));
    const seen: PgLockRow[] = [];
    const until = Date.now() + 3000;
    while (!settled && Date.now() < until) {
      const rows = await this.locksOf(w, this.pid, before);
      for (const r of rows) if (!seen.some((s) => s.relation === r.relation && s.mode === r.mode)) seen.push(r);
      const waiting = await w.query<{ waiting: boolean }>(`select exists (select 1 from pg_locks where pid = $1 and not granted) as waiting`, [this.pid]);
      if (waiting.rows[0].waiting && seen.length) break;
      await new Promise((done) => setTimeout(done, 10));
    }
    await w.query('commit').catch(() => undefined);
    await running;
    const scratchMs = performance.now() - started;
    await this.client.query('reset statement_timeout').catch(() => undefined);
    const after = await snapshot(this.client, false);
    return this.result(sql, parsed, predicted, before, after, seen, scratchMs, 'second session', error);
  }

  private async locksOf(reader: Client, pid: number, before: Snapshot): Promise<PgLockRow[]> {
    const { rows } = await reader.query<{ pid: number; oid: string; relation: string | null; relkind: string | null; mode: string; granted: boolean }>(LOCKS_SQL, [pid]);
    // a relation the statement dropped has no pg_class row any more: its name is in the snapshot before
    return rows.map((r) => ({ pid: r.pid, oid: Number(r.oid), relation: r.relation ?? before.relations.get(Number(r.oid))?.name ?? r.oid, relkind: r.relkind ?? before.relations.get(Number(r.oid))?.relkind ?? null, mode: r.mode, granted: r.granted }));
  }

  private result(
    sql: string,
    parsed: ParsedStatement[],
    predicted: RelationLock[],
    before: Snapshot | undefined,
    after: Snapshot | undefined,
    pgLocks: PgLockRow[],
    scratchMs: number,
    observedHow: 'own transaction' | 'second session',
    error: string | undefined,
  ): ObservedStatement {
    const b = before ?? { relations: new Map(), constraints: new Map(), seqScans: new Map() };
    const a = after ?? b;
    // a relation the statement created is invisible to a watcher whose snapshot is older: named from the snapshot after
    pgLocks = pgLocks.map((l) => (isBareOid(l.relation) && a.relations.has(l.oid) ? { ...l, relation: a.relations.get(l.oid)!.name, relkind: a.relations.get(l.oid)!.relkind } : l));
    const truncates = parsed.some((p) => p.kind === 'TruncateStmt');
    const relfilenodes: RelfilenodeChange[] = [];
    const indexes: IndexChange[] = [];
    const created: string[] = [];
    for (const [oid, was] of b.relations) {
      const now = a.relations.get(oid);
      if (!now) {
        if (isIndex(was.relkind)) indexes.push({ relation: was.table ?? '', index: was.name, valid: Boolean(was.valid), change: 'dropped' });
        continue;
      }
      // a partitioned table or index has no storage of its own (relfilenode 0)
      if (was.relfilenode && now.relfilenode && was.relfilenode !== now.relfilenode) {
        relfilenodes.push({ relation: was.name, kind: isIndex(was.relkind) ? 'index' : 'table', before: was.relfilenode, after: now.relfilenode });
        if (isIndex(was.relkind)) indexes.push({ relation: now.table ?? '', index: now.name, valid: Boolean(now.valid), change: 'rebuilt' });
      }
    }
    for (const [oid, now] of a.relations) {
      if (b.relations.has(oid)) continue;
      if (isTable(now.relkind)) created.push(now.name);
      if (isIndex(now.relkind)) indexes.push({ relation: now.table ?? '', index: now.name, valid: Boolean(now.valid), change: 'created' });
    }
    const constraints: ConstraintChange[] = [];
    for (const [oid, now] of a.constraints) {
      const was = b.constraints.get(oid);
      if (!was) constraints.push({ ...now, change: 'added' });
      else if (!was.validated && now.validated) constraints.push({ ...now, change: 'validated' });
    }
    for (const [oid, was] of b.constraints) if (!a.constraints.has(oid) && !created.includes(was.relation)) constraints.push({ ...was, change: 'dropped' });
    const seqScans: SeqScanDelta[] = [];
    for (const [oid, n] of a.seqScans) {
      const delta = n - (b.seqScans.get(oid) ?? 0);
      const rel = a.relations.get(oid) ?? b.relations.get(oid);
      if (delta > 0 && rel && b.relations.has(oid)) seqScans.push({ relation: rel.name, seqScans: delta });
    }
    const tableOf = (name: string, relkind: string | null) => {
      if (relkind && isIndex(relkind)) return [...b.relations.values(), ...a.relations.values()].find((r) => r.name === name)?.table ?? undefined;
      return name;
    };
    const locks = unionOfLocks(
      pgLocks.filter((l) => isLockMode(l.mode)).map((l) => ({ relation: l.relation, mode: l.mode as LockMode, blocks: [] })),
    );
    const rewrites = truncates ? [] : relfilenodes.filter((r) => r.kind === 'table').map((r) => r.relation);
    const buildsIndexOn = [...new Set(indexes.filter((i) => i.change === 'created' && i.relation && !created.includes(i.relation)).map((i) => i.relation))];
    // an index build reads the whole table: outside a transaction no seq_scan delta shows it, the new index does
    const scans = [...new Set([...seqScans.map((s) => s.relation), ...buildsIndexOn])].filter((r) => !rewrites.includes(r));
    const tables = [
      ...new Set([
        ...pgLocks.map((l) => tableOf(l.relation, l.relkind)).filter((t): t is string => Boolean(t) && !isBareOid(t!)),
        ...rewrites,
        ...scans,
        ...buildsIndexOn,
      ]),
    ];
    const predictedLocks = predicted.filter((p) => !p.tableOfIndex).map((p) => ({ relation: bareName(p.relation), mode: p.mode }));
    const predictedOn = (relation: string) =>
      predicted.some((p) => {
        if (!p.tableOfIndex) return sameRelation(relation, p.relation);
        const index = [...b.relations.values()].find((r) => isIndex(r.relkind) && sameRelation(r.name, p.relation));
        return index?.table === relation;
      });
    const unpredicted = locks.filter((l) => blocksOf(l.mode).length > 0 && !predictedOn(l.relation));
    return {
      sql,
      locks,
      rewrites,
      scans,
      created,
      tables,
      buildsIndexOn,
      truncates,
      evidence: { pgLocks, relfilenodes, seqScans, constraints, indexes, predictedLocks, unpredicted, observedHow, scratchMs: Math.round(scratchMs * 100) / 100, ...(error ? { error } : {}) },
    };
  }
}
