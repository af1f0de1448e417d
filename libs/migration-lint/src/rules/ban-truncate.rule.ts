import { nodesOf } from '../nodes';
import { relationName, type Rule } from '../rule';

export const banTruncate: Rule = {
  id: 'ban-truncate',
  severity: 'error',
  summary: 'TRUNCATE takes an ACCESS EXCLUSIVE lock and deletes every row',
  check(s, ctx) {
    if (s.kind !== 'TruncateStmt') return [];
    const existing = nodesOf(s.node.relations, 'RangeVar').filter((r) => !ctx.isNewTable(r));
    if (!existing.length) return [];
    const names = existing.map(relationName).join(', ');
    const cascade = s.node.behavior === 'DROP_CASCADE';
    return [
      {
        message: `TRUNCATE ${names} blocks reads and writes (ACCESS EXCLUSIVE) and deletes every row, which a down migration cannot bring back.${
          cascade ? ' CASCADE also empties every table with a foreign key to it, and those that reference them in turn.' : ''
        }`,
        fix: 'Delete the rows in small batches (DELETE ... WHERE id IN (SELECT id ... LIMIT n), repeated), or, if the data really must go at once, back it up, name the tables exactly (no CASCADE) and ignore this rule with the reason.',
      },
    ];
  },
};
