import type { Client } from 'pg';
import { openClient, type DatabaseTarget } from '../control-connection';
import type { LongTransaction, TargetLockHolder, TargetRelation } from './trace.types';

/** Cumulative writes (inserted, updated, deleted tuples) per table at one moment. */
export interface WriteSample {
  atMs: number;
  writes: Map<string, number>;
}

/**
 * The target's live catalog, read-only: catalog and statistics views only, each read in a read-only
 * transaction of its own with short timeouts. Never a function that opens a relation
 * (`pg_relation_size` and the like), which waits behind an ACCESS EXCLUSIVE lock: rows and size
 * come from `pg_class` (`reltuples`, or `n_live_tup` before the first ANALYZE; `relpages` × the
 * block size), so the trace finishes while a table is locked.
 */
export class TargetCatalog {
  private constructor(private readonly client: Client) {}

  static async open(target: DatabaseTarget): Promise<TargetCatalog> {
    return new TargetCatalog(await openClient(target, 'zdm-trace catalog (read-only)'));
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  private async read<T>(work: (c: Client) => Promise<T>): Promise<T> {
    await this.client.query('begin read only');
    try {
      // a catalog read never waits for a table lock; the timeouts are for a server in trouble
      await this.client.query(`select set_config('lock_timeout', '1000ms', true), set_config('statement_timeout', '10000ms', true)`);
      return await work(this.client);
    } finally {
      await this.client.query('rollback').catch(() => undefined);
    }
  }

  /** The server's major. */
  async major(): Promise<number> {
    return this.read(async (c) => Math.floor(Number((await c.query<{ v: string }>(`select current_setting('server_version_num') as v`)).rows[0].v) / 10_000));
  }

  /** Writes so far on every user table: statistics are a snapshot per transaction, so each sample is a transaction of its own. */
  async sampleWrites(): Promise<WriteSample> {
    return this.read(async (c) => {
      const { rows } = await c.query<{ name: string; writes: string; at: number }>(
        `select schemaname || '.' || relname as name, (n_tup_ins + n_tup_upd + n_tup_del)::int8 as writes, extract(epoch from clock_timestamp()) * 1000 as at from pg_stat_user_tables`,
      );
      return { atMs: rows.length ? Number(rows[0].at) : Date.now(), writes: new Map(rows.map((r) => [r.name, Number(r.writes)])) };
    });
  }

  /** Rows, size and indexes of the named tables (`schema.name`); a table the target lacks is `absent` with no rows. */
  async relations(names: string[], first?: WriteSample, second?: WriteSample): Promise<TargetRelation[]> {
    if (!names.length) return [];
    const found = await this.read(async (c) => {
      const { rows } = await c.query<{ name: string; reltuples: number; relpages: number; block: number; live: string | null; indexes: string[] | null }>(
        `select n.nspname || '.' || c.relname as name, c.reltuples::float8 as reltuples, c.relpages::int8 as relpages, current_setting('block_size')::int as block,
                s.n_live_tup::int8 as live,
                (select array_agg(ic.relname::text order by ic.relname) from pg_index i join pg_class ic on ic.oid = i.indexrelid where i.indrelid = c.oid) as indexes
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
           left join pg_stat_user_tables s on s.relid = c.oid
          where n.nspname || '.' || c.relname = any($1::text[]) and c.relkind in ('r', 'p', 'm')`,
        [names],
      );
      return new Map(rows.map((r) => [r.name, r]));
    });
    const seconds = first && second ? (second.atMs - first.atMs) / 1000 : 0;
    return names.map((name) => {
      const r = found.get(name);
      if (!r) return { name, rows: 0, bytes: 0, writesPerSecond: null, indexes: [], rowsFrom: 'absent' as const };
      // reltuples is -1 (PostgreSQL 14+) or 0 before the first VACUUM or ANALYZE
      const fromReltuples = r.reltuples > 0;
      const rows = fromReltuples ? Math.round(r.reltuples) : Number(r.live ?? 0);
      const w0 = first?.writes.get(name);
      const w1 = second?.writes.get(name);
      const writesPerSecond = seconds > 0 && w0 !== undefined && w1 !== undefined ? Math.max(0, (w1 - w0) / seconds) : null;
      return {
        name,
        rows,
        bytes: Number(r.relpages) * r.block,
        writesPerSecond: writesPerSecond === null ? null : Math.round(writesPerSecond * 10) / 10,
        indexes: r.indexes ?? [],
        rowsFrom: fromReltuples ? ('reltuples' as const) : ('n_live_tup' as const),
      };
    });
  }

  /** Transactions on this database older than `olderThanMs` (the lock timeout): DDL would queue behind them. */
  async longTransactions(olderThanMs: number): Promise<LongTransaction[]> {
    return this.read(async (c) => {
      const { rows } = await c.query<{ pid: number; application_name: string | null; state: string | null; age_ms: number; query: string | null }>(
        `select pid, application_name, state, (extract(epoch from clock_timestamp() - xact_start) * 1000)::float8 as age_ms, left(query, 200) as query
           from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and xact_start is not null
            and clock_timestamp() - xact_start > make_interval(secs => $1::float8 / 1000)
          order by xact_start`,
        [olderThanMs],
      );
      return rows.map((r) => ({ pid: r.pid, applicationName: r.application_name, state: r.state, transactionAgeMs: Math.round(r.age_ms), query: r.query }));
    });
  }

  /** Locks other sessions hold right now on the named tables: the DDL would wait for them, and everything after it would queue. */
  async lockHolders(names: string[]): Promise<TargetLockHolder[]> {
    if (!names.length) return [];
    return this.read(async (c) => {
      const { rows } = await c.query<{ relation: string; pid: number; mode: string; application_name: string | null; state: string | null }>(
        `select n.nspname || '.' || c.relname as relation, l.pid, l.mode, a.application_name, a.state
           from pg_locks l join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace
           left join pg_stat_activity a on a.pid = l.pid
          where l.locktype = 'relation' and l.granted and l.pid <> pg_backend_pid()
            and l.database = (select oid from pg_database where datname = current_database())
            and n.nspname || '.' || c.relname = any($1::text[]) and l.mode <> 'AccessShareLock'
          order by 1, 2`,
        [names],
      );
      return rows.map((r) => ({ relation: r.relation, pid: r.pid, mode: r.mode, applicationName: r.application_name, state: r.state }));
    });
  }
}
