import { relationName, type Rule } from '../rule';
import { isConcurrent } from '../statement-kinds';

const WHAT: Record<string, string> = {
  REINDEX_OBJECT_INDEX: 'INDEX',
  REINDEX_OBJECT_TABLE: 'TABLE',
  REINDEX_OBJECT_SCHEMA: 'SCHEMA',
  REINDEX_OBJECT_DATABASE: 'DATABASE',
};

export const requireConcurrentReindex: Rule = {
  id: 'require-concurrent-reindex',
  severity: 'error',
  summary: 'REINDEX without CONCURRENTLY blocks writes to the table (and reads that use the index) while it rebuilds',
  check(s, ctx) {
    if (s.kind !== 'ReindexStmt' || isConcurrent(s.kind, s.node)) return [];
    const what = s.node.kind && WHAT[s.node.kind];
    // REINDEX SYSTEM has no CONCURRENTLY: nothing better to offer
    if (!what) return [];
    if (what === 'TABLE' && ctx.isNewTable(s.node.relation)) return [];
    // an index this migration built on a table created earlier in the run
    if (what === 'INDEX' && ctx.earlier.some((e) => e.kind === 'IndexStmt' && e.node.idxname === s.node.relation?.relname && ctx.isNewTable(e.node.relation))) return [];
    const name = s.node.relation ? relationName(s.node.relation) : s.node.name ?? '';
    return [
      {
        message: `REINDEX ${what} ${name} rebuilds under a lock that blocks writes to the table, and reads that would use the index, until it ends.`.replace('  ', ' '),
        fix: `REINDEX ${what} CONCURRENTLY ${name}, in a non-transactional migration: it builds the new index beside the old one and swaps them.`.replace('  ', ' '),
      },
    ];
  },
};
