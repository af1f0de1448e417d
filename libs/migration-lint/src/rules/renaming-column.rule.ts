import { relationName, type Rule } from '../rule';

export const renamingColumn: Rule = {
  id: 'renaming-column',
  severity: 'warning',
  summary: 'Renaming a column breaks the running app',
  check(s) {
    if (s.kind !== 'RenameStmt' || s.node.renameType !== 'OBJECT_COLUMN') return [];
    return [
      {
        message: `Renaming ${relationName(s.node.relation)}.${s.node.subname} to ${s.node.newname} breaks every deployed query that still uses the old name.`,
        fix: 'Expand/contract: add the new column, write both, backfill, move reads, then drop the old one (or keep a view with the old name).',
      },
    ];
  },
};
