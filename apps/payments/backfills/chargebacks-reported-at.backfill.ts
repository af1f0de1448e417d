import { defineBackfill } from '@zdm/backfill';

/**
 * Expand/contract, the data step: old chargebacks get `reported_at` from `created_at`, in short
 * batches while the app keeps writing (new rows get it from the app itself).
 */
export const chargebacksReportedAt = defineBackfill({
  name: 'chargebacks-reported-at',
  table: 'chargebacks',
  set: 'reported_at = created_at',
  where: 'reported_at IS NULL',
});

export default chargebacksReportedAt;
