import { nodeOf, qualifiedName } from '../nodes';
import type { Rule } from '../rule';

export const banDropTable: Rule = {
  id: 'ban-drop-table',
  severity: 'warning',
  summary: 'Dropping a table is the contract step: deployed code must no longer use it',
  check(s, ctx) {
    if (s.kind !== 'DropStmt' || s.node.removeType !== 'OBJECT_TABLE') return [];
    const names = (s.node.objects ?? []).map((o) => qualifiedName(nodeOf(o, 'List')?.items));
    const existing = names.filter((n) => !ctx.isNewTable({ relname: n.split('.').at(-1), schemaname: n.includes('.') ? n.split('.')[0] : undefined }));
    if (!existing.length) return [];
    return [
      {
        message: `Dropping ${existing.join(', ')} breaks any deployed code that still uses it, and cannot be undone by a down migration.`,
        fix: 'Ship the code that stops using the table first; drop it in a later release, after a backup (ignore this rule then, with the reason).',
      },
    ];
  },
};
