/** A data move for the expand/contract pattern: which rows, what change, how fast. */
export interface BackfillJob {
  /** The job's name: `migrate backfill <name>`, its progress rows, its alerts. */
  name: string;
  /** The table, optionally schema-qualified (`billing.chargebacks`). */
  table: string;
  /** An integer key column for keyset batches (default `id`, the primary key). */
  keyColumn?: string;
  /** The SET clause, e.g. `reported_at = created_at`. */
  set: string;
  /** The rows that still need the change, e.g. `reported_at IS NULL`: makes a re-run skip done rows. */
  where: string;
  /** Rows per batch to start with (default 5,000); it adapts to `targetBatchMs`. */
  batchSize?: number;
  /** The time each batch stays under (default 200 ms): short transactions, short row locks. */
  targetBatchMs?: number;
  /** The cron expression of the Nest module (default every minute). */
  schedule?: string;
}

export function defineBackfill(job: BackfillJob): BackfillJob {
  for (const key of ['name', 'table', 'set', 'where'] as const) {
    if (typeof job[key] !== 'string' || !job[key].trim()) throw new TypeError(`backfill job ${JSON.stringify(job.name)}: "${key}" must be a non-empty string`);
  }
  return job;
}
