import { linter } from '../linter';
import { MigratorError } from './migrator.error';

/** A transactional migration holds SQL that PostgreSQL refuses inside a transaction. Exit 2. */
export class UnsafeTransactionError extends MigratorError {
  readonly exitCode = 2;
  constructor(
    readonly app: string,
    readonly migration: string,
    readonly statement: string,
    orm: string,
  ) {
    const fix = orm === 'typeorm' ? 'add `transaction = false` to the migration class' : 'override `isTransactional()` to return false in the migration class';
    super(`${app}/${migration} runs "${linter().cutOutsideSecrets(statement, 120)}" inside a transaction, which PostgreSQL refuses: ${fix}; nothing was run`);
  }
}
