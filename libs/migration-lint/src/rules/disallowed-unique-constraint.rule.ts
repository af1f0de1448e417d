import { alterCommands, relationName, type Rule } from '../rule';

export const disallowedUniqueConstraint: Rule = {
  id: 'disallowed-unique-constraint',
  severity: 'error',
  summary: 'ADD UNIQUE / PRIMARY KEY builds its index under an ACCESS EXCLUSIVE lock',
  check(s, ctx) {
    return alterCommands(s)
      .filter(({ subtype, cmd, relation }) => subtype === 'AT_AddConstraint' && !ctx.isNewTable(relation) && ['CONSTR_UNIQUE', 'CONSTR_PRIMARY'].includes(cmd.def?.Constraint?.contype))
      .filter(({ cmd }) => !cmd.def.Constraint.indexname)
      .map(({ cmd, relation }) => ({
        message: `${cmd.def.Constraint.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE'} ${cmd.def.Constraint.conname ?? ''} on ${relationName(relation)} builds a unique index while reads and writes wait.`.replace('  ', ' '),
        fix: 'CREATE UNIQUE INDEX CONCURRENTLY first (non-transactional migration), then ADD CONSTRAINT ... UNIQUE USING INDEX <index>.',
      }));
  },
};
