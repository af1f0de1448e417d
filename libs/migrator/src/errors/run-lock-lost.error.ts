import { MigratorError } from './migrator.error';

/**
 * The connection that held the run lock went away mid-run (a terminated backend, a server restart,
 * the network): another run may take the lock now, so this one stops at once. Exit 1.
 */
export class RunLockLostError extends MigratorError {
  readonly exitCode = 1;
  constructor(database: string) {
    super(
      `the connection holding the run lock on ${database} was lost, so another run could start: this run stopped, its running statement was cancelled and rolled back, ` +
        `and nothing more was applied; run \`migrate status\`, then \`migrate up\` again`,
    );
  }
}
