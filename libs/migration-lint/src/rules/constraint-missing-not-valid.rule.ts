import { alterCommands, constraintOf, relationName, type Rule } from '../rule';

export const constraintMissingNotValid: Rule = {
  id: 'constraint-missing-not-valid',
  severity: 'error',
  summary: 'A FOREIGN KEY or CHECK added without NOT VALID scans the table under a lock that blocks writes',
  check(s, ctx) {
    return alterCommands(s)
      .filter(({ subtype, relation }) => subtype === 'AT_AddConstraint' && !ctx.isNewTable(relation))
      .flatMap(({ cmd, relation }) => {
        const c = constraintOf(cmd);
        return c && (c.contype === 'CONSTR_FOREIGN' || c.contype === 'CONSTR_CHECK') && !c.skip_validation ? [{ c, relation }] : [];
      })
      .map(({ c, relation }) => {
        const kind = c.contype === 'CONSTR_FOREIGN' ? 'FOREIGN KEY' : 'CHECK';
        return {
          message: `${kind} ${c.conname ?? ''} on ${relationName(relation)} is validated as it is added: every row is checked while writes wait.`.replace('  ', ' '),
          fix: `Add it with NOT VALID (only new rows are checked), then VALIDATE CONSTRAINT in a later migration: validation takes a SHARE UPDATE EXCLUSIVE lock, which lets reads and writes go on.`,
        };
      });
  },
};
