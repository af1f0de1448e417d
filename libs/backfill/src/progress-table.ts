import type { ClientBase } from 'pg';

/** Bumped when the table changes shape; kept in the table's comment so later releases can upgrade it. */
export const PROGRESS_TABLE_VERSION = 2;
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
  /**
   * A batch of this pass that skips locked rows (FOR UPDATE SKIP LOCKED) started after this key:
   * rows above it may have been skipped, and the pass's recheck starts here. Null when no batch of
   * the pass skipped anything: the range is done when the pass ends.
   */
  skippedAfter: string | null;
}

const versionOf = (comment: string | null | undefined) => Number(/ v(\d+)$/.exec(comment ?? '')?.[1] ?? 1);

export async function ensureProgressTable(client: ClientBase): Promise<void> {
  const look = async () => (await client.query(`select to_regclass($1) is not null as present, obj_description(to_regclass($1), 'pg_class') as comment`, [TABLE])).rows[0];
  const seen = await look();
  if (seen.present && versionOf(seen.comment) >= PROGRESS_TABLE_VERSION) return;
  await client.query('select pg_advisory_lock($1, $2)', CREATE_LOCK);
  try {
    const now = await look();
    if (now.present) {
      // v2: skipped_after, where a pass's recheck for skipped rows starts
      if (versionOf(now.comment) < 2) await client.query(`alter table ${TABLE} add column if not exists skipped_after bigint; comment on table ${TABLE} is 'zdm backfill progress v${PROGRESS_TABLE_VERSION}'`);
      return;
    }
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
        skipped_after bigint,
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
    skippedAfter: r.skipped_after === null || r.skipped_after === undefined ? null : String(r.skipped_after),
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

/** A new pass over a range (`lastKey` given) starts with nothing skipped. */
export async function setRangeStatus(client: ClientBase, job: string, rangeId: number, status: ProgressRow['status'], fields: { lastError?: string | null; owner?: string | null; lastKey?: string } = {}): Promise<void> {
  await client.query(
    `update ${TABLE} set status = $3, updated_at = now(), last_error = coalesce($4, case when $3 = 'failed' then last_error else null end),
            owner = coalesce($5, owner), last_key = coalesce($6::bigint, last_key),
            skipped_after = case when $6::bigint is null then skipped_after end
      where job = $1 and range_id = $2`,
    [job, rangeId, status, fields.lastError ?? null, fields.owner ?? null, fields.lastKey ?? null],
  );
}

/**
 * Gives a resumed job as many open ranges as it has workers: the widest unfinished range is cut in
 * two at the middle of what it has left, the upper half a new range that starts where the lower
 * one now ends. Only a range whose ownership lock is free is cut (tryLock), under that lock and in
 * one transaction, so no other worker is inside it; the rows above its last key are not done by
 * keyset, and the job's filter skips any that are. Resolves to the ranges, cut ones included.
 */
export async function splitRanges(
  client: ClientBase,
  job: string,
  ranges: ProgressRow[],
  workers: number,
  lock: { take: (rangeId: number) => Promise<boolean>; release: (rangeId: number) => Promise<void> },
  minKeys = 10_000,
): Promise<ProgressRow[]> {
  const all = [...ranges];
  const left = (r: ProgressRow) => BigInt(r.rangeEnd) - (BigInt(r.lastKey) > BigInt(r.rangeStart) - 1n ? BigInt(r.lastKey) : BigInt(r.rangeStart) - 1n);
  const tried = new Set<number>();
  while (all.filter((r) => r.status !== 'done').length < workers) {
    const candidates = all.filter((r) => r.status !== 'done' && !tried.has(r.rangeId) && left(r) >= BigInt(2 * minKeys)).sort((a, b) => (left(b) > left(a) ? 1 : -1));
    const widest = candidates[0];
    if (!widest) break;
    tried.add(widest.rangeId);
    if (!(await lock.take(widest.rangeId))) continue;
    try {
      await client.query('begin');
      const { rows } = await client.query(`select * from ${TABLE} where job = $1 and range_id = $2 for update`, [job, widest.rangeId]);
      const current = rows[0] ? toRow(rows[0]) : undefined;
      if (!current || current.status === 'done' || left(current) < BigInt(2 * minKeys)) {
        await client.query('rollback');
        continue;
      }
      const from = BigInt(current.rangeEnd) - left(current);
      const mid = from + left(current) / 2n;
      const { rows: top } = await client.query(`select coalesce(max(range_id), -1) + 1 as id from ${TABLE} where job = $1`, [job]);
      const id = Number(top[0].id);
      await client.query(`update ${TABLE} set range_end = $3, updated_at = now() where job = $1 and range_id = $2`, [job, current.rangeId, mid.toString()]);
      const { rows: added } = await client.query(
        `insert into ${TABLE} (job, range_id, range_start, range_end, last_key, estimated_total, status, owner)
         values ($1, $2, $3, $4, $5, $6, 'paused', $7) returning *`,
        [job, id, (mid + 1n).toString(), current.rangeEnd, mid.toString(), current.estimatedTotal, current.owner],
      );
      await client.query('commit');
      all.splice(all.findIndex((r) => r.rangeId === current.rangeId), 1, { ...current, rangeEnd: mid.toString() });
      all.push(toRow(added[0]));
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      await lock.release(widest.rangeId);
    }
  }
  return all.sort((a, b) => a.rangeId - b.rangeId);
}

export async function resetJob(client: ClientBase, job: string): Promise<void> {
  await client.query(`delete from ${TABLE} where job = $1`, [job]);
}

export const PROGRESS_TABLE = TABLE;
