import type { Rule } from '../rule';

export const concurrentlyInTransaction: Rule = {
  id: 'concurrently-in-transaction',
  severity: 'error',
  summary: 'CONCURRENTLY cannot run inside a transaction block',
  check(s, ctx) {
    if (!ctx.transactional) return [];
    const concurrent =
      (s.kind === 'IndexStmt' && s.node.concurrent) ||
      (s.kind === 'DropStmt' && s.node.concurrent) ||
      (s.kind === 'ReindexStmt' && JSON.stringify(s.node.params ?? []).toLowerCase().includes('concurrently'));
    if (!concurrent) return [];
    return [
      {
        message: 'PostgreSQL refuses CREATE/DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY inside a transaction, and this migration runs in one.',
        fix: 'Make the migration non-transactional: TypeORM `transaction = false`, MikroORM `isTransactional() { return false; }`.',
      },
    ];
  },
};
