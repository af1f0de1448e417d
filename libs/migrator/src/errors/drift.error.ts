import { MigratorError } from './migrator.error';

/** The entities and the database differ. Exit 4. */
export class DriftError extends MigratorError {
  readonly exitCode = 4;
}
