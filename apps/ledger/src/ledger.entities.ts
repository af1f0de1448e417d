import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const LedgerAccountSchema = defineEntity({
  name: 'LedgerAccount',
  tableName: 'ledger_accounts',
  properties: {
    id: p.bigint().primary().autoincrement(),
    code: p.string().length(64).unique('ledger_accounts_code_unique'),
    name: p.string().length(255),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});
export type LedgerAccount = InferEntity<typeof LedgerAccountSchema>;

export const LedgerEntrySchema = defineEntity({
  name: 'LedgerEntry',
  tableName: 'ledger_entries',
  properties: {
    id: p.bigint().primary().autoincrement(),
    account: () => p.manyToOne(LedgerAccountSchema).fieldName('account_id'),
    amountMinor: p.bigint(),
    createdAt: p.datetime().defaultRaw('now()'),
    /** Indexed concurrently by 202401151030__ledger_entries_add_external_ref. */
    externalRef: p.string().length(64).nullable().index('idx_ledger_entries_external_ref'),
  },
});
export type LedgerEntry = InferEntity<typeof LedgerEntrySchema>;

export const LEDGER_ENTITIES = [LedgerAccountSchema, LedgerEntrySchema];
