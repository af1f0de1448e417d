import type { AlterEnumStmt } from '@pgsql/types';
import { qualifiedName, statementOf } from '../nodes';
import type { Rule } from '../rule';

export const enumValueUsedInSameTransaction: Rule = {
  id: 'enum-value-used-in-same-transaction',
  severity: 'error',
  summary: 'A value added to an enum cannot be used before the transaction that added it commits (55P04)',
  check(s, ctx) {
    // a statement with no quoted literal uses no enum value
    if (!ctx.transactional || s.kind === 'AlterEnumStmt' || !s.text.includes("'")) return [];
    const added = ctx.earlier.map((e) => statementOf(e, 'AlterEnumStmt')).filter((e): e is AlterEnumStmt => e !== undefined && e.newVal !== undefined && !e.oldVal);
    return added
      .filter((e) => {
        const type = qualifiedName(e.typeName);
        // an enum created in this same transaction may use its new values at once
        if (ctx.earlier.some((c) => c.kind === 'CreateEnumStmt' && qualifiedName(c.node.typeName) === type)) return false;
        return s.text.includes(`'${String(e.newVal).replace(/'/g, "''")}'`);
      })
      .map((e) => ({
        message: `'${e.newVal}' is added to ${qualifiedName(e.typeName)} in this transaction and used before it commits: PostgreSQL refuses it (unsafe use of new value, 55P04) and the migration fails.`,
        fix: 'Add the value in a migration of its own (or a non-transactional one) and use it in a later migration.',
      }));
  },
};
