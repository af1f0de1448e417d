import { MigratorError } from './migrator.error';

/** Connected through a transaction-mode pooler (PgBouncer), where session settings and advisory locks don't hold. Exit 2. */
export class PoolerError extends MigratorError {
  readonly exitCode = 2;
}
