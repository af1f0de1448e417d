import { MigratorError } from './migrator.error';

/** SIGINT or SIGTERM stopped the run: exit 130 or 143. */
export class InterruptedError extends MigratorError {
  readonly exitCode: number;
  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super(`interrupted by ${signal}: the running statement was cancelled and its transaction rolled back`);
    this.exitCode = signal === 'SIGINT' ? 130 : 143;
  }
}
