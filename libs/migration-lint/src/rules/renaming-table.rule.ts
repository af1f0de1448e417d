import { relationName, type Rule } from '../rule';

export const renamingTable: Rule = {
  id: 'renaming-table',
  severity: 'warning',
  summary: 'Renaming a table breaks the running app',
  check(s) {
    if (s.kind !== 'RenameStmt' || s.node.renameType !== 'OBJECT_TABLE') return [];
    return [
      {
        message: `Renaming ${relationName(s.node.relation)} to ${s.node.newname} breaks every deployed query that still uses the old name.`,
        fix: 'Create the new table and copy (or keep a view with the old name) until no deployed code reads the old one.',
      },
    ];
  },
};
