import { defineBackfill } from '@zdm/backfill';

/** Entries from before external references existed get a stable legacy reference. */
export const ledgerEntriesExternalRef = defineBackfill({
  name: 'ledger-entries-external-ref',
  table: 'ledger_entries',
  set: `external_ref = 'legacy-' || id`,
  where: 'external_ref IS NULL',
});

export default ledgerEntriesExternalRef;
