import type { ClientBase } from 'pg';

/** Bumped when the table changes shape; kept in the table's comment so later releases can upgrade it. */
export const PROGRESS_TABLE_VERSION = 1;
const TABLE = 'migration_progress';
/** Serialises the creation of the table between concurrent first runs. */
const CREATE_LOCK: [number, number] = [0x7a646d, 0x70726f];

export interface ProgressRow {
  job: string;
  rangeId: number;
  rangeStart: string;
  rangeEnd: string;
  lastKey: string;
  rowsDone: number;
  estimatedTotal: number | null;
  status: 'running' | 'paused' | 'done' | 'failed';
  startedAt: string;
  updatedAt: string;
  lastError: string | null;
  owner: string | null;
}

export async function ensureProgressTable(client: ClientBase): Promise<void> {
  const { rows } = await client.query(`select to_regclass($1) is not null as present`, [TABLE]);
  if (rows[0].present) return;
  await client.query('select pg_advisory_lock($1, $2)', CREATE_LOCK);
  try {
    await client.query(`
      create table if not exists ${TABLE} (
        job text not null,
        range_id integer not null,
        range_start bigint not null,
        range_end bigint not null,
        last_key bigint not null,
        rows_done bigint not null default 0,
        estimated_total bigint,
        status text not null default 'running' check (status in ('running', 'paused', 'done', 'failed')),
        started_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        last_error text,
        owner text,
        primary key (job, range_id)
      );
      comment on table ${TABLE} is 'zdm backfill progress v${PROGRESS_TABLE_VERSION}'`);
  } finally {
    await client.query('select pg_advisory_unlock($1, $2)', CREATE_LOCK);
  }
}

function toRow(r: Record<string, unknown>): ProgressRow {
  return {
    job: String(r.job),
    rangeId: Number(r.range_id),
    rangeStart: String(r.range_start),
    rangeEnd: String(r.range_end),
    lastKey: String(r.last_key),
    rowsDone: Number(r.rows_done),
    estimatedTotal: r.estimated_total === null ? null : Number(r.estimated_total),
    status: r.status as ProgressRow['status'],
    startedAt: (r.started_at as Date).toISOString(),
    updatedAt: (r.updated_at as Date).toISOString(),
    lastError: (r.last_error as string | null) ?? null,
    owner: (r.owner as string | null) ?? null,
  };
}

export async function readProgress(client: ClientBase, job?: string): Promise<ProgressRow[]> {
  const { rows: present } = await client.query(`select to_regclass($1) is not null as present`, [TABLE]);
  if (!present[0].present) return [];
  const { rows } = await client.query(`select * from ${TABLE} ${job ? 'where job = $1' : ''} order by job, range_id`, job ? [job] : []);
  return rows.map(toRow);
}

/** Splits [min, max] of the key into `count` ranges and records them, unless the job has ranges already. */
export async function planRanges(client: ClientBase, job: string, min: string, max: string, count: number, estimatedTotal: number | null): Promise<void> {
  const lo = BigInt(min);
  const hi = BigInt(max);
  const width = (hi - lo + 1n + BigInt(count) - 1n) / BigInt(count);
  const values: string[] = [];
  const params: unknown[] = [job, estimatedTotal];
  for (let i = 0; i < count; i++) {
    const start = lo + width * BigInt(i);
    const end = i === count - 1 ? hi : start + width - 1n;
    if (start > hi) break;
    params.push(i, start.toString(), end.toString(), (start - 1n).toString());
    const p = params.length;
    values.push(`($1, $${p - 3}, $${p - 2}, $${p - 1}, $${p}, $2)`);
  }
  await client.query(
    `insert into ${TABLE} (job, range_id, range_start, range_end, last_key, estimated_total) values ${values.join(', ')} on conflict (job, range_id) do nothing`,
    params,
  );
}

export async function setRangeStatus(client: ClientBase, job: string, rangeId: number, status: ProgressRow['status'], fields: { lastError?: string | null; owner?: string | null; lastKey?: string } = {}): Promise<void> {
  await client.query(
    `update ${TABLE} set status = $3, updated_at = now(), last_error = coalesce($4, case when $3 = 'failed' then last_error else null end),
            owner = coalesce($5, owner), last_key = coalesce($6::bigint, last_key)
      where job = $1 and range_id = $2`,
    [job, rangeId, status, fields.lastError ?? null, fields.owner ?? null, fields.lastKey ?? null],
  );
}

export async function resetJob(client: ClientBase, job: string): Promise<void> {
  await client.query(`delete from ${TABLE} where job = $1`, [job]);
}

export const PROGRESS_TABLE = TABLE;
