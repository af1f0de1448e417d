import { alterCommands, columnConstraints, columnDefOf, relationName, type Rule } from '../rule';

export const addingStoredGeneratedColumn: Rule = {
  id: 'adding-stored-generated-column',
  severity: 'error',
  summary: 'Adding a STORED generated column rewrites the table under an ACCESS EXCLUSIVE lock',
  check(s, ctx) {
    return alterCommands(s)
      .filter(({ subtype, relation }) => subtype === 'AT_AddColumn' && !ctx.isNewTable(relation))
      .map(({ cmd, relation }) => ({ column: columnDefOf(cmd), relation }))
      .filter(({ column }) => columnConstraints(column).some((c) => c.contype === 'CONSTR_GENERATED' && c.generated_kind === 's'))
      .map(({ column, relation }) => ({
        message: `Adding the STORED generated column ${relationName(relation)}.${column?.colname} computes it for every row, rewriting the table while reads and writes wait.`,
        fix:
          ctx.pgVersion >= 18
            ? 'On PostgreSQL 18, make it VIRTUAL (computed on read, nothing rewritten); or add a plain nullable column, fill it in batches (the backfill module) and keep it current with a trigger.'
            : 'Add a plain nullable column, fill it in batches (the backfill module) and keep it current with a trigger (or, on PostgreSQL 18, a VIRTUAL generated column).',
      }));
  },
};
