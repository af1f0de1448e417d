import { Migration } from '@mikro-orm/migrations';

export class Migration202401150930CreateLedgerAccountsAndEntries extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "ledger_accounts" ("id" bigserial primary key, "code" varchar(64) not null, "name" varchar(255) not null, "created_at" timestamptz not null default now());`,
    );
    this.addSql(`alter table "ledger_accounts" add constraint "ledger_accounts_code_unique" unique ("code");`);
    this.addSql(
      `create table "ledger_entries" ("id" bigserial primary key, "account_id" bigint not null, "amount_minor" bigint not null, "created_at" timestamptz not null default now());`,
    );
    this.addSql(
      `alter table "ledger_entries" add constraint "ledger_entries_account_id_foreign" foreign key ("account_id") references "ledger_accounts" ("id");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "ledger_entries";`);
    this.addSql(`drop table if exists "ledger_accounts";`);
  }
}
