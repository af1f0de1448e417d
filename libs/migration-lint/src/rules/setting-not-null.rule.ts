import type { Constraint, RangeVar } from '@pgsql/types';
import { nodeOf, nodesOf } from '../nodes';
import { alterCommands, constraintOf, relationName, sameRelation, type RuleContext, type Rule } from '../rule';

/** Whether a constraint definition proves `column` has no NULL: CHECK (column IS NOT NULL), or (18) NOT NULL column. */
function provesNotNull(constraint: Constraint | undefined, column: string | undefined): boolean {
  if (constraint?.contype === 'CONSTR_NOTNULL') return nodesOf(constraint.keys, 'String').some((k) => k.sval === column);
  if (constraint?.contype !== 'CONSTR_CHECK') return false;
  const test = nodeOf(constraint.raw_expr, 'NullTest');
  const fields = nodeOf(test?.arg, 'ColumnRef')?.fields;
  return test?.nulltesttype === 'IS_NOT_NULL' && fields?.length === 1 && nodeOf(fields[0], 'String')?.sval === column;
}

/**
 * Whether this migration validated, before SET NOT NULL, a constraint that proves the column has no
 * NULL. A VALIDATE CONSTRAINT of a constraint whose definition the migration does not show (added
 * by an earlier migration) gets the benefit of the doubt.
 */
function provenEarlier(ctx: RuleContext, relation: RangeVar | undefined, column: string | undefined): boolean {
  const before = ctx.earlier.flatMap((e) => alterCommands(e)).filter((c) => sameRelation(c.relation, relation));
  const added = before.filter((c) => c.subtype === 'AT_AddConstraint').map((c) => constraintOf(c.cmd));
  const definition = (name: string | undefined) => added.find((c) => c?.conname === name);
  // a proving constraint added without NOT VALID is validated as it is added
  if (added.some((c) => !c?.skip_validation && provesNotNull(c, column))) return true;
  return before.some((c) => {
    if (c.subtype !== 'AT_ValidateConstraint') return false;
    const shown = definition(c.cmd.name);
    return shown ? provesNotNull(shown, column) : true;
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
