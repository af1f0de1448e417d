import type { Rule } from '../rule';
import { mustRunOutsideTransaction } from '../statement-kinds';

export const concurrentlyInTransaction: Rule = {
  id: 'concurrently-in-transaction',
  severity: 'error',
  summary: 'CONCURRENTLY (and the other statements PostgreSQL refuses in a transaction block) inside a transactional migration',
  check(s, ctx) {
    if (!ctx.transactional || !mustRunOutsideTransaction(s.kind, s.node, ctx.pgVersion)) return [];
    return [
      {
        message: 'PostgreSQL refuses this statement inside a transaction block (CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, DETACH PARTITION CONCURRENTLY, VACUUM, ...), and this migration runs in one.',
        fix: 'Make the migration non-transactional: TypeORM `transaction = false`, MikroORM `isTransactional() { return false; }`.',
      },
    ];
  },
};
