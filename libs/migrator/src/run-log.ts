import type { Client } from 'pg';
import { qualifiedTable } from './adapters/adapter-support';
import type { Direction, Queryable } from './types';

/** Bumped when the table changes shape; kept in the table's comment so later releases can upgrade it. */
export const RUN_LOG_VERSION = 4;

const STATUSES = `'running', 'succeeded', 'failed', 'abandoned'`;
/** `baseline`: applied by the ORM before the run log existed; `accept`: an edited file's new checksum, accepted by a person (`migrate checksum --accept`). */
const DIRECTIONS = `'up', 'down', 'baseline', 'accept'`;

export interface StatementRecord {
  position: number;
  hash: string;
  durationMs: number;
  rowCount: number | null;
  ddl: boolean;
}

export interface RunEntryStart {
  runId: string;
  app: string;
  migration: string;
  direction: Direction | 'baseline' | 'accept';
  checksum: string;
  /** Who asked for it (an accepted checksum): the git user's email or the OS user. */
  actor?: string;
  /** The backup taken just before it ran (a destructive step): where, how long, and the rows of each table. */
  backup?: { path: string; durationMs: number; tables: { table: string; rows: number; file: string }[] };
  /** What the ORM wrote in its history table, and whether it ran in a transaction: a later run that finds the file unchanged needs not load it. */
  historyName: string;
  transactional: boolean;
  host: string;
  gitSha?: string;
  command: string;
}

export interface MigrationHistory {
  /** The checksum it was last applied (or first seen) with. */
  checksum?: string;
  historyName?: string;
  transactional?: boolean;
  appliedAt?: Date;
  durationMs?: number;
  /** When and by whom an edit of the applied file was accepted (`migrate checksum --accept`). */
  acceptedAt?: Date;
  acceptedBy?: string;
  /**
   * Failed, interrupted or abandoned `up` attempts after the last success: the statements any of
   * them completed (a resume skips them all), and the latest error.
   */
  partial?: { statements: StatementRecord[]; error: string | null };
}

/** `migration_runs`: one row per migration per run, beside the ORM's own history. */
export class RunLog {
  readonly table: string;

  constructor(
    private readonly client: Client,
    schema?: string,
  ) {
    this.table = qualifiedTable('migration_runs', schema);
  }

  /** Known to exist: seen, or made by ensure() (a run never drops it). */
  private present = false;

  async exists(): Promise<boolean> {
    if (this.present) return true;
    const { rows } = await this.client.query('select to_regclass($1) is not null as present', [this.table]);
    return (this.present = rows[0].present);
  }

  /** Creates the table, or upgrades one an older release made; callers hold the run lock, so they never race. */
  async ensure(): Promise<void> {
    const { rows } = await this.client.query(`select to_regclass($1) is not null as present, obj_description(to_regclass($1), 'pg_class') as comment`, [this.table]);
    if (rows[0].present) {
      await this.upgrade(rows[0].comment);
      this.present = true;
      return;
    }
    await this.createTable();
    this.present = true;
  }

  private async createTable(): Promise<void> {
    await this.client.query(`
      create table ${this.table} (
        id bigint generated always as identity primary key,
        run_id uuid not null,
        app text not null,
        migration text not null,
        direction text not null check (direction in (${DIRECTIONS})),
        status text not null check (status in (${STATUSES})),
        started_at timestamptz not null default now(),
        finished_at timestamptz,
        duration_ms integer,
        checksum text,
        history_name text,
        transactional boolean,
        error text,
        retries integer not null default 0,
        lock_wait_ms integer,
        statements jsonb not null default '[]',
        host text,
        git_sha text,
        command text,
        actor text,
        backup jsonb
      );
      create index on ${this.table} (app, migration, id desc);
      create index on ${this.table} (run_id);
      comment on table ${this.table} is 'zdm run log v${RUN_LOG_VERSION}'`);
  }

  private async upgrade(comment: string | null): Promise<void> {
    const version = Number(/ v(\d+)$/.exec(comment ?? '')?.[1] ?? 1);
    if (version >= RUN_LOG_VERSION) return;
    // v2: runs killed while running are marked `abandoned` by the next run;
    // v3: `accept` rows (an edited migration's checksum accepted) and who asked for them;
    // v4: the backup a destructive migration took before it ran
    const { rows: checks } = await this.client.query(
      `select conname from pg_constraint where conrelid = to_regclass($1) and contype = 'c' and (pg_get_constraintdef(oid) like '%status%' or pg_get_constraintdef(oid) like '%direction%')`,
      [this.table],
    );
    await this.client.query('begin');
    try {
      for (const c of checks) await this.client.query(`alter table ${this.table} drop constraint "${String(c.conname).replace(/"/g, '""')}"`);
      await this.client.query(`alter table ${this.table} add constraint migration_runs_status_check check (status in (${STATUSES}))`);
      await this.client.query(`alter table ${this.table} add constraint migration_runs_direction_check check (direction in (${DIRECTIONS}))`);
      await this.client.query(`alter table ${this.table} add column if not exists actor text`);
      await this.client.query(`alter table ${this.table} add column if not exists backup jsonb`);
      await this.client.query(`comment on table ${this.table} is 'zdm run log v${RUN_LOG_VERSION}'`);
      await this.client.query('commit');
    } catch (error) {
      await this.client.query('rollback').catch(() => undefined);
      throw error;
    }
  }

  /** Whether a run is reverting right now (a down or revert holds the lock): what it leaves applied is not settled. */
  async revertInProgress(): Promise<boolean> {
    if (!(await this.exists())) return false;
    const { rows } = await this.client.query(`select 1 from ${this.table} where status = 'running' and direction = 'down' limit 1`);
    return rows.length > 0;
  }

  /**
   * Marks the runs left `running` by a process that died (kill -9, a lost node) as `abandoned`,
   * with the time. Called by the holder of the run lock: no other run can be running then.
   */
  async markAbandoned(): Promise<{ app: string; migration: string; runId: string }[]> {
    const { rows } = await this.client.query(
      `update ${this.table} set status = 'abandoned', finished_at = now(),
              error = coalesce(error, 'the run stopped before it finished (the process was killed or lost its connection)')
        where status = 'running' returning app, migration, run_id`,
    );
    return rows.map((r) => ({ app: r.app, migration: r.migration, runId: r.run_id }));
  }

  async start(entry: RunEntryStart): Promise<number> {
    const { rows } = await this.client.query(
      `insert into ${this.table} (run_id, app, migration, direction, status, checksum, history_name, transactional, host, git_sha, command, actor, backup)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) returning id`,
      [
        entry.runId,
        entry.app,
        entry.migration,
        entry.direction,
        entry.direction === 'baseline' || entry.direction === 'accept' ? 'succeeded' : 'running',
        entry.checksum,
        entry.historyName,
        entry.transactional,
        entry.host,
        entry.gitSha ?? null,
        entry.command,
        entry.actor ?? null,
        entry.backup ? JSON.stringify(entry.backup) : null,
      ],
    );
    return Number(rows[0].id);
  }

  /**
   * Records a completed statement of a migration run outside one transaction. Given the
   * migration's session inside the statement's own transaction, the record commits with it.
   */
  async statementDone(id: number, statement: StatementRecord, on: Queryable = this.client as unknown as Queryable): Promise<void> {
    await on.query(`update ${this.table} set statements = statements || $2::jsonb where id = $1`, [id, JSON.stringify([statement])]);
  }

  async finish(id: number, result: { status: 'succeeded' | 'failed' | 'abandoned'; durationMs: number; retries: number; lockWaitMs: number; error?: string }): Promise<void> {
    await this.client.query(
      `update ${this.table} set status = $2, finished_at = now(), duration_ms = $3, retries = $4, lock_wait_ms = $5, error = $6 where id = $1`,
      [id, result.status, Math.round(result.durationMs), result.retries, Math.round(result.lockWaitMs), result.error ?? null],
    );
  }

  /** Per migration of an app: what the run log knows (empty when the table does not exist yet). */
  async history(app: string): Promise<Map<string, MigrationHistory>> {
    const result = new Map<string, MigrationHistory>();
    if (!(await this.exists())) return result;
    const { rows } = await this.client.query(
      // actor by name from the row: a status before the first run of this release reads a v2 log, not yet upgraded
      `select migration, direction, status, checksum, history_name, transactional, started_at, finished_at, duration_ms, statements, error, to_jsonb(r) ->> 'actor' as actor
         from ${this.table} r where app = $1 order by id`,
      [app],
    );
    for (const row of rows) {
      const entry = result.get(row.migration) ?? {};
      if (row.status === 'succeeded' && row.direction === 'accept') {
        // the file as it is now stands for what was applied; when and how long it ran stay
        entry.checksum = row.checksum;
        entry.acceptedAt = row.finished_at ?? row.started_at;
        entry.acceptedBy = row.actor ?? undefined;
      } else if (row.status === 'succeeded' && (row.direction === 'up' || row.direction === 'baseline')) {
        entry.checksum = row.checksum;
        entry.historyName = row.history_name ?? undefined;
        entry.transactional = row.transactional ?? undefined;
        if (row.direction === 'up') {
          entry.appliedAt = row.finished_at;
          entry.durationMs = row.duration_ms;
        }
        entry.partial = undefined;
      } else if (row.direction === 'up' && row.status !== 'succeeded') {
        entry.partial = {
          statements: mergeStatements(entry.partial?.statements ?? [], row.statements ?? []),
          error: row.error ?? (row.status === 'running' ? 'the run stopped before it finished' : null),
        };
      } else if (row.direction === 'down' && row.status === 'succeeded') {
        entry.partial = undefined;
        entry.checksum = undefined;
        entry.appliedAt = undefined;
        entry.durationMs = undefined;
      }
      result.set(row.migration, entry);
    }
    return result;
  }

  /** The most recent `up` run that applied something: its id, start, and what it applied, in order. */
  async lastUpRun(): Promise<{ runId: string; startedAt: Date; migrations: { app: string; migration: string }[] } | undefined> {
    if (!(await this.exists())) return undefined;
    const { rows } = await this.client.query(
      `select run_id, min(started_at) over (partition by run_id) as run_started, app, migration
         from ${this.table}
        where direction = 'up' and status = 'succeeded'
          and run_id = (select run_id from ${this.table} where direction = 'up' and status = 'succeeded' order by id desc limit 1)
        order by id`,
    );
    if (!rows.length) return undefined;
    return { runId: rows[0].run_id, startedAt: rows[0].run_started, migrations: rows.map((r) => ({ app: r.app, migration: r.migration })) };
  }
}

/** The statements completed by any attempt, once each, in position order. */
function mergeStatements(earlier: StatementRecord[], later: StatementRecord[]): StatementRecord[] {
  const byKey = new Map<string, StatementRecord>();
  for (const s of [...earlier, ...later]) byKey.set(`${s.position}:${s.hash}`, s);
  return [...byKey.values()].sort((a, b) => a.position - b.position);
}
