import { alterCommands, relationName, sameRelation, type PgNode, type RuleContext, type Rule } from '../rule';

/** Whether a constraint definition proves `column` has no NULL: CHECK (column IS NOT NULL), or (18) NOT NULL column. */
function provesNotNull(constraint: PgNode, column: string): boolean {
  if (constraint?.contype === 'CONSTR_NOTNULL') return (constraint.keys ?? []).some((k: PgNode) => k.String?.sval === column);
  if (constraint?.contype !== 'CONSTR_CHECK') return false;
  const test = constraint.raw_expr?.NullTest;
  return test?.nulltesttype === 'IS_NOT_NULL' && test.arg?.ColumnRef?.fields?.length === 1 && test.arg.ColumnRef.fields[0].String?.sval === column;
}

/**
 * Whether this migration validated, before SET NOT NULL, a constraint that proves the column has no
 * NULL. A VALIDATE CONSTRAINT of a constraint whose definition the migration does not show (added
 * by an earlier migration) gets the benefit of the doubt.
 */
function provenEarlier(ctx: RuleContext, relation: PgNode, column: string): boolean {
  const before = ctx.earlier.flatMap((e) => alterCommands(e)).filter((c) => sameRelation(c.relation, relation));
  const definition = (name: string) => before.find((c) => c.subtype === 'AT_AddConstraint' && c.cmd.def?.Constraint?.conname === name)?.cmd.def.Constraint;
  // a proving constraint added without NOT VALID is validated as it is added
  if (before.some((c) => c.subtype === 'AT_AddConstraint' && !c.cmd.def?.Constraint?.skip_validation && provesNotNull(c.cmd.def?.Constraint, column))) return true;
  return before.some((c) => {
    if (c.subtype !== 'AT_ValidateConstraint') return false;
    const added = definition(c.cmd.name);
    return added ? provesNotNull(added, column) : true;
  });
}

export const settingNotNull: Rule = {
  id: 'setting-not-null',
  severity: 'warning',
  summary: 'SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock',
  check(s, ctx) {
    return alterCommands(s)
      .filter(({ subtype, relation }) => subtype === 'AT_SetNotNull' && !ctx.isNewTable(relation))
      .filter(({ cmd, relation }) => !provenEarlier(ctx, relation, cmd.name))
      .map(({ cmd, relation }) => ({
        message: `SET NOT NULL on ${relationName(relation)}.${cmd.name} reads every row while it blocks reads and writes, unless a validated CHECK (${cmd.name} IS NOT NULL) exists.`,
        fix:
          ctx.pgVersion >= 18
            ? `On PostgreSQL 18: ADD CONSTRAINT <name> NOT NULL ${cmd.name} NOT VALID (no scan), then VALIDATE CONSTRAINT <name> in a later migration (a weaker lock that lets reads and writes go on).`
            : `First ADD CONSTRAINT ... CHECK (${cmd.name} IS NOT NULL) NOT VALID, then VALIDATE CONSTRAINT (a weaker lock), then SET NOT NULL (no scan), then drop the check.`,
      }));
  },
};
