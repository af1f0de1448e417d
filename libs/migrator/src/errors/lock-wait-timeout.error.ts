import { MigratorError } from './migrator.error';

/** Another run held the run lock for longer than --lock-wait. Exit 3. */
export class LockWaitTimeoutError extends MigratorError {
  readonly exitCode = 3;
}
