import { nodeOf, qualifiedName } from '../nodes';
import type { Rule } from '../rule';

export const requireConcurrentIndexDeletion: Rule = {
  id: 'require-concurrent-index-deletion',
  severity: 'error',
  summary: 'DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table',
  check(s) {
    if (s.kind !== 'DropStmt' || s.node.removeType !== 'OBJECT_INDEX' || s.node.concurrent) return [];
    const names = (s.node.objects ?? []).map((o) => qualifiedName(nodeOf(o, 'List')?.items)).join(', ');
    return [
      {
        message: `DROP INDEX ${names} locks its table against reads and writes while it waits for running queries.`,
        fix: 'Use DROP INDEX CONCURRENTLY in a non-transactional migration.',
      },
    ];
  },
};
