import { defineConfig } from '@zdm/migration-cli';

/** The one list of apps every command, pnpm script and Make target goes through. Paths are relative to this file. */
export default defineConfig({
  apps: [
    {
      name: 'payments',
      orm: 'typeorm',
      migrations: 'apps/payments/migrations/*.ts',
      urlEnv: 'PAYMENTS_DATABASE_URL',
      naming: 'timestamped',
      dataSource: 'apps/payments/src/data-source.ts',
      backfills: 'apps/payments/backfills/*.backfill.ts',
    },
    {
      name: 'ledger',
      orm: 'mikro-orm',
      migrations: 'apps/ledger/migrations/*.ts',
      urlEnv: 'LEDGER_DATABASE_URL',
      naming: 'timestamped',
      mikroOrmConfig: 'apps/ledger/src/mikro-orm.config.ts',
      backfills: 'apps/ledger/backfills/*.backfill.ts',
    },
  ],
});
