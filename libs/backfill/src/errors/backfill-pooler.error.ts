import { POOLER_FIX } from '@zdm/db';

/**
 * The backfill's connection is not pinned to one server session (PgBouncer in transaction or
 * statement mode): the job's ownership lock would not hold. Exit 2.
 */
export class BackfillPoolerError extends Error {
  readonly exitCode = 2;
  constructor(job: string, reason: string) {
    super(`backfill ${job} refused: the URL goes through a transaction-mode pooler (PgBouncer): ${reason}; ${POOLER_FIX}. Use that URL for backfills`);
    this.name = 'BackfillPoolerError';
  }
}
