import type { AlterTableType, RangeVar } from '@pgsql/types';
import { alterCommands, relationName, sameRelation, type Rule, type Statement } from '../rule';

/** Subcommands that take a lock weaker than one blocking reads: not what this rule is about. */
const WEAK: (AlterTableType | undefined)[] = ['AT_ValidateConstraint', 'AT_SetStatistics', 'AT_SetOptions', 'AT_ClusterOn', 'AT_DropCluster', 'AT_AttachPartition'];

/** The table a statement alters with DDL (ALTER TABLE with a strong-lock subcommand), if any. */
function ddlTable(s: Statement): RangeVar | undefined {
  return alterCommands(s).find((c) => !WEAK.includes(c.subtype))?.relation;
}

/** The table whose rows an UPDATE or DELETE changes, if any. */
function writtenTable(s: Statement): RangeVar | undefined {
  return s.kind === 'UpdateStmt' || s.kind === 'DeleteStmt' ? s.node.relation : undefined;
}

export const ddlWithBackfillInTransaction: Rule = {
  id: 'ddl-with-backfill-in-transaction',
  severity: 'error',
  summary: 'An UPDATE or DELETE and DDL on the same table in one transaction: the rows change under the DDL\'s ACCESS EXCLUSIVE lock, held until commit',
  check(s, ctx) {
    if (!ctx.transactional) return [];
    const ddl = ddlTable(s);
    const written = writtenTable(s);
    const table = ddl ?? written;
    if (!table || ctx.isNewTable(table)) return [];
    const other = ctx.earlier.find((e) => sameRelation(ddl ? writtenTable(e) : ddlTable(e), table));
    if (!other) return [];
    return [
      {
        message: ddl
          ? `${relationName(table)} has its rows changed earlier in this transaction and is altered now: the rows stay locked, then the ALTER's lock (ACCESS EXCLUSIVE for most forms) blocks reads and writes until commit.`
          : `${relationName(table)} is altered earlier in this transaction, and its rows are changed now: the whole ${s.kind === 'UpdateStmt' ? 'UPDATE' : 'DELETE'} runs under the ALTER's lock (ACCESS EXCLUSIVE for most forms), blocking reads and writes.`,
        fix: 'Keep the DDL in a migration of its own and change the rows outside it: an UPDATE in batches with the backfill module, or the statements in a non-transactional migration, where each commits on its own.',
      },
    ];
  },
};
