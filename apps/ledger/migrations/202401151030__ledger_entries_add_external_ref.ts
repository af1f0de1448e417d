import { Migration } from '@mikro-orm/migrations';

/**
 * Expand step: a nullable column and an index built without blocking writes.
 * CREATE INDEX CONCURRENTLY cannot run inside a transaction, hence `isTransactional()` false.
 */
export class Migration202401151030LedgerEntriesAddExternalRef extends Migration {
  override isTransactional(): boolean {
    return false;
  }

  override async up(): Promise<void> {
    this.addSql(`alter table "ledger_entries" add column "external_ref" varchar(64) null;`);
    this.addSql(`create index concurrently if not exists "idx_ledger_entries_external_ref" on "ledger_entries" ("external_ref");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index concurrently if exists "idx_ledger_entries_external_ref";`);
    this.addSql(`alter table "ledger_entries" drop column "external_ref";`);
  }
}
