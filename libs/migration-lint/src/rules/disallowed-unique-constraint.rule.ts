import { alterCommands, constraintOf, relationName, type Rule } from '../rule';

export const disallowedUniqueConstraint: Rule = {
  id: 'disallowed-unique-constraint',
  severity: 'error',
  summary: 'ADD UNIQUE / PRIMARY KEY builds its index under an ACCESS EXCLUSIVE lock',
  check(s, ctx) {
    return alterCommands(s)
      .filter(({ subtype, relation }) => subtype === 'AT_AddConstraint' && !ctx.isNewTable(relation))
      .flatMap(({ cmd, relation }) => {
        const c = constraintOf(cmd);
        return c && (c.contype === 'CONSTR_UNIQUE' || c.contype === 'CONSTR_PRIMARY') && !c.indexname ? [{ c, relation }] : [];
      })
      .map(({ c, relation }) => ({
        message: `${c.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE'} ${c.conname ?? ''} on ${relationName(relation)} builds a unique index while reads and writes wait.`.replace('  ', ' '),
        fix: 'CREATE UNIQUE INDEX CONCURRENTLY first (non-transactional migration), then ADD CONSTRAINT ... UNIQUE USING INDEX <index>.',
      }));
  },
};
