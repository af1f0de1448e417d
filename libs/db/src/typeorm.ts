import type { DataSourceOptions, NamingStrategyInterface } from 'typeorm';
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
    namingStrategy: snakeNamingStrategy(),
    applicationName: options.applicationName,
    synchronize: false,
    logging: ['error'],
  };
}

/**
 * Loaded on first use: the naming strategy extends TypeORM's, and loading typeorm costs ~170 ms of
 * start-up that commands building no DataSource (status with nothing to load, backfill, lint) need not pay.
 */
function snakeNamingStrategy(): NamingStrategyInterface {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred on purpose, see above
  const { SnakeNamingStrategy } = require('typeorm-naming-strategies') as typeof import('typeorm-naming-strategies');
  return new SnakeNamingStrategy();
}
