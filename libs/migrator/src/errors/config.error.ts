import { MigratorError } from './migrator.error';

/** A configuration mistake: the message names the key and the fix. Exit 2. */
export class ConfigError extends MigratorError {
  readonly exitCode = 2;
}
