import { join } from 'node:path';
import { defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { appConnection, mikroOrmOptions } from '@zdm/db';
import { LEDGER_ENTITIES } from './ledger.entities';

/**
 * The ledger's MikroORM config, for the plain CLI too:
 * `mikro-orm migration:pending --config apps/ledger/src/mikro-orm.config.ts`.
 * The ledger owns the tables named `ledger_*`; the diff leaves every other table alone.
 */
export default defineConfig({
  ...mikroOrmOptions({
    target: appConnection('ledger', join(__dirname, '../../..')),
    entities: LEDGER_ENTITIES,
    migrationsPath: join(__dirname, '../migrations'),
    skipTables: [/^(?!(?:[^.]+\.)?ledger_)/],
    applicationName: 'ledger',
  }),
  extensions: [Migrator],
});
