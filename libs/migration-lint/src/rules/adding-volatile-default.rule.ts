import type { Node } from '@pgsql/types';
import { nodeOf } from '../nodes';
import { alterCommands, columnConstraints, columnDefOf, relationName, type Rule } from '../rule';
import { collect } from '../visit';

/** Functions whose value differs per row: as a column default they make PostgreSQL rewrite the table. */
const VOLATILE = new Set(['random', 'gen_random_uuid', 'uuid_generate_v4', 'uuid_generate_v1', 'clock_timestamp', 'timeofday', 'nextval', 'txid_current']);

/** The first volatile function an expression calls (at any depth: `coalesce(random(), 0)`), as written. */
function volatileCall(expr: Node | undefined): string | undefined {
  for (const call of collect(expr, 'FuncCall')) {
    // `f` or `schema.f`: the function's own name is the last
    const name = nodeOf(call.funcname?.at(-1), 'String')?.sval;
    if (name && VOLATILE.has(name.toLowerCase())) return name;
  }
  return undefined;
}

export const addingVolatileDefault: Rule = {
  id: 'adding-volatile-default',
  severity: 'warning',
  summary: 'ADD COLUMN with a volatile DEFAULT rewrites the whole table',
  check(s, ctx) {
    const hits = [];
    for (const { subtype, cmd, relation } of alterCommands(s)) {
      if (subtype !== 'AT_AddColumn' || ctx.isNewTable(relation)) continue;
      const column = columnDefOf(cmd);
      // a serial column (nextval() per row) is adding-serial-or-identity-column's
      const fn = columnConstraints(column).map((c) => (c.contype === 'CONSTR_DEFAULT' ? volatileCall(c.raw_expr) : undefined)).find(Boolean);
      if (!fn) continue;
      hits.push({
        message: `Column ${column?.colname} on ${relationName(relation)} gets a volatile default (${fn}()): PostgreSQL rewrites every row under an ACCESS EXCLUSIVE lock. A constant or stable default such as now() does not.`,
        fix: 'Add the column without a default (or with a constant one), set the default for new rows with ALTER COLUMN ... SET DEFAULT, and backfill old rows in batches.',
      });
    }
    return hits;
  },
};
