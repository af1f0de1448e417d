import type { Options } from '@mikro-orm/postgresql';
import type { ConnectionTarget } from './database-url';

export interface MikroOrmAppOptions {
  target: ConnectionTarget;
  entities: NonNullable<Options['entities']>;
  /** Folder of the app's migrations. */
  migrationsPath: string;
  /**
   * Tables this app does not own, so the schema diff neither drops nor alters them
   * (the other apps' tables share the database).
   */
  skipTables?: (string | RegExp)[];
  migrationsTableName?: string;
  applicationName?: string;
}

/** `202401150930__ledger_entries_add_external_ref` from MikroORM's `20240115093012` and a description. */
export function timestampedMigrationName(timestamp: string, name?: string): string {
  const description = (name ?? 'migration').replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '').toLowerCase();
  return `${timestamp.slice(0, 12)}__${description}`;
}

/**
 * The MikroORM options every MikroORM app shares: migrations named `YYYYMMDDHHmm__description`,
 * each in its own transaction unless it says otherwise (`allOrNothing: false`), no snapshot file
 * (the diff is taken against the live database), other apps' tables left alone.
 */
export function mikroOrmOptions(options: MikroOrmAppOptions): Options {
  return {
    clientUrl: options.target.url,
    schema: options.target.schema,
    entities: options.entities,
    debug: false,
    allowGlobalContext: true,
    discovery: { warnWhenNoEntities: false },
    driverOptions: options.applicationName ? { application_name: options.applicationName } : undefined,
    schemaGenerator: { skipTables: options.skipTables ?? [] },
    migrations: {
      path: options.migrationsPath,
      pathTs: options.migrationsPath,
      glob: '!(*.d).{js,ts}',
      tableName: options.migrationsTableName ?? 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: false,
      snapshot: false,
      emit: 'ts',
      fileName: timestampedMigrationName,
    },
  };
}
