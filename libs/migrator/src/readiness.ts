import { Pool } from 'pg';
import type { DatabaseTarget } from './control-connection';

/** A migration of this release as the database's history knows it. */
export interface ReleaseMigration {
  name: string;
  /** The name in the ORM's history table (TypeORM: the class name). */
  historyName: string;
  checksum: string;
}

/** One app of this release: what it ships and where its history lives. */
export interface ReleaseApp {
  app: string;
  target: DatabaseTarget;
  /** The ORM's history table, qualified. */
  historyTable: string;
  /** Our run log, qualified. */
  runLogTable: string;
  migrations: ReleaseMigration[];
}

export interface AppReadiness {
  app: string;
  /** False while a migration of this release is pending or changed. */
  ready: boolean;
  pending: string[];
  changed: string[];
  /** Applied migrations this release doesn't have (a newer release ran first): shown, never unready. */
  missing: string[];
}

export interface ReadinessReport {
  ready: boolean;
  apps: AppReadiness[];
  /** When the database was asked (a cached report keeps its time). */
  checkedAt: Date;
}

interface HistoryRow {
  applied: string[];
  checksums: Record<string, string>;
}

const UNDEFINED_TABLE = '42P01';

/**
 * Whether the database has this release's migrations, as a readiness probe asks it: one query per
 * app (its history and the run log's last checksum of each migration), on one pooled connection per
 * database, answered from a cache for `cacheMs` so a probe every second costs one query in five.
 * Same judgement as `status --exit-code`: pending or changed is unready, missing never is.
 */
export class ReleaseReadiness {
  private readonly pools = new Map<string, Pool>();
  private cached?: { report: ReadinessReport; until: number };
  private inFlight?: Promise<ReadinessReport>;

  constructor(
    private readonly release: () => Promise<ReleaseApp[]>,
    private readonly options: { cacheMs?: number; queryTimeoutMs?: number } = {},
  ) {}

  private apps?: Promise<ReleaseApp[]>;

  async check(): Promise<ReadinessReport> {
    if (this.cached && Date.now() < this.cached.until) return this.cached.report;
    // concurrent probes share one round trip
    this.inFlight ??= this.ask().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.end().catch(() => undefined)));
    this.pools.clear();
  }

  private async ask(): Promise<ReadinessReport> {
    // the release is read once: it is what this process shipped with
    this.apps ??= this.release().catch((error: unknown) => {
      this.apps = undefined;
      throw error;
    });
    const apps = await this.apps;
    const results = await Promise.all(apps.map((a) => this.readinessOf(a)));
    const report = { ready: results.every((r) => r.ready), apps: results, checkedAt: new Date() };
    this.cached = { report, until: Date.now() + (this.options.cacheMs ?? 5000) };
    return report;
  }

  private poolFor(target: DatabaseTarget): Pool {
    let pool = this.pools.get(target.url);
    if (!pool) {
      pool = new Pool({ connectionString: target.url, max: 1, idleTimeoutMillis: 30_000, application_name: 'zdm-readiness', query_timeout: this.options.queryTimeoutMs ?? 2000 });
      // an idle connection the server closed is replaced on the next probe, not a crash
      pool.on('error', () => undefined);
      this.pools.set(target.url, pool);
    }
    return pool;
  }

  private async historyOf(a: ReleaseApp): Promise<HistoryRow> {
    const pool = this.poolFor(a.target);
    const checksums = `select coalesce(json_object_agg(migration, checksum), '{}'::json) from (
        select distinct on (migration) migration, direction, checksum from ${a.runLogTable}
         where app = $1 and status = 'succeeded' and direction in ('up', 'baseline', 'accept', 'down') order by migration, id desc) last
       where direction <> 'down' and checksum is not null`;
    try {
      const { rows } = await pool.query<HistoryRow>(`select (select coalesce(json_agg(name), '[]'::json) from ${a.historyTable}) as applied, (${checksums}) as checksums`, [a.app]);
      return rows[0];
    } catch (error) {
      if ((error as { code?: string }).code !== UNDEFINED_TABLE) throw error;
    }
    // before the first run one of the tables is not there yet
    const { rows } = await pool.query<{ history: boolean; log: boolean }>('select to_regclass($1) is not null as history, to_regclass($2) is not null as log', [a.historyTable, a.runLogTable]);
    if (!rows[0].history) return { applied: [], checksums: {} };
    const applied = await pool.query<{ name: string }>(`select name from ${a.historyTable}`);
    return { applied: applied.rows.map((r) => r.name), checksums: {} };
  }

  private async readinessOf(a: ReleaseApp): Promise<AppReadiness> {
    const { applied, checksums } = await this.historyOf(a);
    const appliedNames = new Set(applied);
    const known = new Set(a.migrations.map((m) => m.historyName));
    const pending = a.migrations.filter((m) => !appliedNames.has(m.historyName)).map((m) => m.name);
    const changed = a.migrations.filter((m) => appliedNames.has(m.historyName) && checksums[m.name] && checksums[m.name] !== m.checksum).map((m) => m.name);
    const missing = applied.filter((name) => !known.has(name));
    return { app: a.app, ready: !pending.length && !changed.length, pending, changed, missing };
  }
}
