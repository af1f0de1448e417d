import type { Client } from 'pg';
import { qualifiedTable } from './adapters/adapter-support';
import type { Direction } from './types';

/** Bumped when the table changes shape; kept in the table's comment so later releases can upgrade it. */
export const RUN_LOG_VERSION = 1;

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
  direction: Direction | 'baseline';
  checksum: string;
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
  /** A failed or interrupted `up` after the last success: its completed statements and error. */
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

  async exists(): Promise<boolean> {
    const { rows } = await this.client.query('select to_regclass($1) is not null as present', [this.table]);
    return rows[0].present;
  }

  /** Creates the table; callers hold the run lock, so creators never race. */
  async ensure(): Promise<void> {
    if (await this.exists()) return;
    await this.client.query(`
      create table ${this.table} (
        id bigint generated always as identity primary key,
        run_id uuid not null,
        app text not null,
        migration text not null,
        direction text not null check (direction in ('up', 'down', 'baseline')),
        status text not null check (status in ('running', 'succeeded', 'failed')),
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
        command text
      );
      create index on ${this.table} (app, migration, id desc);
      create index on ${this.table} (run_id);
      comment on table ${this.table} is 'zdm run log v${RUN_LOG_VERSION}'`);
  }

  async start(entry: RunEntryStart): Promise<number> {
    const { rows } = await this.client.query(
      `insert into ${this.table} (run_id, app, migration, direction, status, checksum, history_name, transactional, host, git_sha, command)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id`,
      [
        entry.runId,
        entry.app,
        entry.migration,
        entry.direction,
        entry.direction === 'baseline' ? 'succeeded' : 'running',
        entry.checksum,
        entry.historyName,
        entry.transactional,
        entry.host,
        entry.gitSha ?? null,
        entry.command,
      ],
    );
    return Number(rows[0].id);
  }

  async statementDone(id: number, statement: StatementRecord): Promise<void> {
    await this.client.query(`update ${this.table} set statements = statements || $2::jsonb where id = $1`, [id, JSON.stringify([statement])]);
  }

  async finish(id: number, result: { status: 'succeeded' | 'failed'; durationMs: number; retries: number; lockWaitMs: number; error?: string }): Promise<void> {
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
      `select migration, direction, status, checksum, history_name, transactional, finished_at, duration_ms, statements, error
         from ${this.table} where app = $1 order by id`,
      [app],
    );
    for (const row of rows) {
      const entry = result.get(row.migration) ?? {};
      if (row.status === 'succeeded' && (row.direction === 'up' || row.direction === 'baseline')) {
        entry.checksum = row.checksum;
        entry.historyName = row.history_name ?? undefined;
        entry.transactional = row.transactional ?? undefined;
        if (row.direction === 'up') {
          entry.appliedAt = row.finished_at;
          entry.durationMs = row.duration_ms;
        }
        entry.partial = undefined;
      } else if (row.direction === 'up' && row.status !== 'succeeded') {
        entry.partial = { statements: row.statements ?? [], error: row.error ?? (row.status === 'running' ? 'the run stopped before it finished' : null) };
      } else if (row.direction === 'down' && row.status === 'succeeded') {
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
