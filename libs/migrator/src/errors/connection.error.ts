import { MigratorError } from './migrator.error';

/** The server can't be reached, the database does not exist, or the login is refused. Exit 2. */
export class ConnectionError extends MigratorError {
  readonly exitCode = 2;
}
