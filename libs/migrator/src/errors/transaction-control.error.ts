import { MigratorError } from './migrator.error';

/**
 * A transactional migration holds BEGIN, COMMIT, ROLLBACK, END or PREPARE TRANSACTION: it would
 * end the runner's transaction half-way and leave half the migration applied. Exit 2, no override.
 */
export class TransactionControlError extends MigratorError {
  readonly exitCode = 2;
  constructor(
    readonly app: string,
    readonly migration: string,
    readonly file: string,
    readonly statement: string,
    keyword: string,
  ) {
    super(
      `${file}: ${app}/${migration} runs "${statement.replace(/\s+/g, ' ').slice(0, 120)}" inside its transaction: ${keyword} would commit or end the runner's transaction half-way, ` +
        `so a later failure would leave half the migration applied. Remove it (use SAVEPOINT for a part that may fail), or make the migration non-transactional; nothing was run`,
    );
  }
}
