import { linter } from '../linter';
import type { Blocker } from '../types';
import { MigratorError } from './migrator.error';

export interface PgErrorFields {
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
}

/** What the failed migration's attempts went through: kept for the run log, the report and the alert. */
export interface FailureCounts {
  /** Lock retries made (skipped attempts not counted). */
  retries: number;
  /** Time spent waiting for locks: failed attempts and the backoff between them. */
  lockWaitMs: number;
  /** Attempts of the statement (or transaction) that failed, the first included. */
  attempts: number;
}

/** A migration's statement failed (its transaction rolled back), lock-timeout retries included. Exit 1. */
export class MigrationFailedError extends MigratorError {
  readonly exitCode = 1;
  constructor(
    readonly app: string,
    readonly migration: string,
    readonly direction: 'up' | 'down',
    readonly statement: string | undefined,
    readonly pg: PgErrorFields,
    readonly reason?: string,
    /** The sessions that held the lock it waited for, when lock retries ran out. */
    readonly blockers: Blocker[] = [],
    readonly counts: FailureCounts = { retries: 0, lockWaitMs: 0, attempts: 1 },
  ) {
    const where = statement ? ` at "${linter().cutOutsideSecrets(statement.replace(/\s+/g, ' '), 200)}"` : '';
    const code = pg.code ? ` (SQLSTATE ${pg.code})` : '';
    super(`${app}/${migration} ${direction} failed${where}: ${pg.message}${code}${pg.detail ? `; ${pg.detail}` : ''}${reason ? `; ${reason}` : ''}`);
  }
}
