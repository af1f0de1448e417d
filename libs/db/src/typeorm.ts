import type { DataSourceOptions } from 'typeorm';
import { SnakeNamingStrategy } from 'typeorm-naming-strategies';
import type { ConnectionTarget } from './database-url';

export interface TypeOrmAppOptions {
  target: ConnectionTarget;
  entities: NonNullable<DataSourceOptions['entities']>;
  migrations?: NonNullable<DataSourceOptions['migrations']>;
  migrationsTableName?: string;
  applicationName?: string;
}

/**
 * The DataSource options every TypeORM app shares: snake_case names, one transaction per
 * migration (so a migration can opt out with `transaction = false`), the history table in the
 * URL's schema.
 */
export function typeOrmOptions(options: TypeOrmAppOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: options.target.url,
    schema: options.target.schema,
    entities: options.entities,
    migrations: options.migrations ?? [],
    migrationsTableName: options.migrationsTableName ?? 'migrations',
    migrationsTransactionMode: 'each',
    namingStrategy: new SnakeNamingStrategy(),
    applicationName: options.applicationName,
    synchronize: false,
    logging: ['error'],
  };
}
