import { relationName, type Rule } from '../rule';

export const requireConcurrentIndexCreation: Rule = {
  id: 'require-concurrent-index-creation',
  severity: 'error',
  summary: 'CREATE INDEX without CONCURRENTLY blocks writes to the table for the whole build',
  check(s, ctx) {
    if (s.kind !== 'IndexStmt' || s.node.concurrent || ctx.isNewTable(s.node.relation)) return [];
    return [
      {
        message: `CREATE INDEX ${s.node.idxname ?? ''} on ${relationName(s.node.relation)} takes a SHARE lock: inserts, updates and deletes wait until the index is built.`.replace('  ', ' '),
        fix: 'Use CREATE INDEX CONCURRENTLY in a non-transactional migration (TypeORM `transaction = false`, MikroORM `isTransactional()` false).',
      },
    ];
  },
};
