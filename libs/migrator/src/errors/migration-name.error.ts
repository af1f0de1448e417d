import { MigratorError } from './migrator.error';

/** A migration file breaks the app's naming rule (`YYYYMMDDHHmm__description`, unique timestamps). Exit 2. */
export class MigrationNameError extends MigratorError {
  readonly exitCode = 2;
}
