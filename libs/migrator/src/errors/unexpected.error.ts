import { MigratorError } from './migrator.error';

/** Anything else that stopped a run: reported with its message, exit 1. */
export class UnexpectedError extends MigratorError {
  readonly exitCode = 1;
}
