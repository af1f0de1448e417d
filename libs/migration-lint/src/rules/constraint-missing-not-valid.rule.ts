import { alterCommands, relationName, type Rule } from '../rule';

export const constraintMissingNotValid: Rule = {
  id: 'constraint-missing-not-valid',
  severity: 'error',
  summary: 'A FOREIGN KEY or CHECK added without NOT VALID scans the table under a lock that blocks writes',
  check(s, ctx) {
    return alterCommands(s)
      .filter(({ subtype, cmd, relation }) => subtype === 'AT_AddConstraint' && !ctx.isNewTable(relation) && ['CONSTR_FOREIGN', 'CONSTR_CHECK'].includes(cmd.def?.Constraint?.contype))
      .filter(({ cmd }) => !cmd.def.Constraint.skip_validation)
      .map(({ cmd, relation }) => {
        const c = cmd.def.Constraint;
        const kind = c.contype === 'CONSTR_FOREIGN' ? 'FOREIGN KEY' : 'CHECK';
        return {
          message: `${kind} ${c.conname ?? ''} on ${relationName(relation)} is validated as it is added: every row is checked while writes wait.`.replace('  ', ' '),
          fix: `Add it with NOT VALID (only new rows are checked), then VALIDATE CONSTRAINT in a later migration: validation takes a SHARE UPDATE EXCLUSIVE lock, which lets reads and writes go on.`,
        };
      });
  },
};
