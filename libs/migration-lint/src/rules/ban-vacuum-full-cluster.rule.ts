import { nodeOf } from '../nodes';
import { relationName, type Rule } from '../rule';
import { isVacuumFull } from '../statement-kinds';

export const banVacuumFullCluster: Rule = {
  id: 'ban-vacuum-full-cluster',
  severity: 'error',
  summary: 'VACUUM FULL and CLUSTER rewrite the table under an ACCESS EXCLUSIVE lock',
  check(s, ctx) {
    const fix = 'Use pg_repack (it rebuilds the table online), or a plain VACUUM, which frees space for reuse without blocking reads or writes.';
    if (s.kind === 'VacuumStmt') {
      if (!isVacuumFull(s.kind, s.node)) return [];
      const rels = (s.node.rels ?? []).map((r) => nodeOf(r, 'VacuumRelation')?.relation);
      if (rels.length && rels.every((r) => ctx.isNewTable(r))) return [];
      const names = rels.filter((r) => !ctx.isNewTable(r)).map(relationName).join(', ');
      return [{ message: `VACUUM FULL ${names || '(every table of the database)'} rewrites the table while reads and writes wait (ACCESS EXCLUSIVE).`, fix }];
    }
    if (s.kind === 'ClusterStmt') {
      if (s.node.relation && ctx.isNewTable(s.node.relation)) return [];
      const what = s.node.relation ? relationName(s.node.relation) : '(every table clustered before)';
      return [{ message: `CLUSTER ${what} rewrites the table in index order while reads and writes wait (ACCESS EXCLUSIVE).`, fix }];
    }
    return [];
  },
};
