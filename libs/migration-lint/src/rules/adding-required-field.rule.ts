import { alterCommands, columnConstraints, columnDefOf, relationName, type Rule } from '../rule';

export const addingRequiredField: Rule = {
  id: 'adding-required-field',
  severity: 'error',
  summary: 'ADD COLUMN ... NOT NULL without a DEFAULT fails on a table with rows',
  check(s, ctx) {
    return alterCommands(s)
      .filter(({ subtype, relation }) => subtype === 'AT_AddColumn' && !ctx.isNewTable(relation))
      .flatMap(({ cmd, relation }) => {
        const column = columnDefOf(cmd);
        const constraints = columnConstraints(column);
        return constraints.some((c) => c.contype === 'CONSTR_NOTNULL') && !constraints.some((c) => c.contype === 'CONSTR_DEFAULT') ? [{ column, relation }] : [];
      })
      .map(({ column, relation }) => ({
        message: `Column ${column?.colname} is added to ${relationName(relation)} as NOT NULL without a default: it fails on a table with rows, and the running app does not write it yet.`,
        fix: 'Add it nullable (or with a constant DEFAULT), backfill it, then add a CHECK (... IS NOT NULL) NOT VALID, VALIDATE it, and SET NOT NULL.',
      }));
  },
};
