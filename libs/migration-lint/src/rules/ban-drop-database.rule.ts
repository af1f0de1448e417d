import type { Rule } from '../rule';

export const banDropDatabase: Rule = {
  id: 'ban-drop-database',
  severity: 'error',
  summary: 'DROP DATABASE deletes a whole database, which no down migration can bring back',
  check(s) {
    if (s.kind !== 'DropdbStmt') return [];
    return [
      {
        message: `DROP DATABASE ${s.node.dbname} deletes every table in it, for good.`,
        fix: 'Drop databases by hand, after a backup, not from a migration; if it must be one, ignore this rule with the reason.',
      },
    ];
  },
};
