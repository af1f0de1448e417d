import type { Rule } from '../rule';
import { transactionControl } from '../statement-kinds';

export const transactionControlInMigration: Rule = {
  id: 'transaction-control-in-migration',
  severity: 'error',
  summary: 'BEGIN, COMMIT, ROLLBACK or END inside a migration that the runner already runs in one transaction',
  check(s, ctx) {
    const keyword = ctx.transactional ? transactionControl(s.kind, s.node) : undefined;
    if (!keyword) return [];
    return [
      {
        message: `${keyword} inside a transactional migration ends or splits the runner's transaction: what ran before it is committed on its own, so a later failure leaves half the migration applied, and the history says "pending".`,
        fix: 'Remove it: the runner wraps the whole migration in one transaction. Use SAVEPOINT / ROLLBACK TO SAVEPOINT for a part that may fail, or make the migration non-transactional and let each statement commit on its own. `up` and `plan` refuse such a migration before anything runs.',
      },
    ];
  },
};
