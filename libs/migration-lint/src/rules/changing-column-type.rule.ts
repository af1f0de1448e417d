import { alterCommands, relationName, type Rule } from '../rule';

export const changingColumnType: Rule = {
  id: 'changing-column-type',
  severity: 'error',
  summary: 'ALTER COLUMN ... TYPE can rewrite the table under an ACCESS EXCLUSIVE lock',
  check(s, ctx) {
    return alterCommands(s)
      .filter(({ subtype, relation }) => subtype === 'AT_AlterColumnType' && !ctx.isNewTable(relation))
      .map(({ cmd, relation }) => ({
        message: `Changing the type of ${relationName(relation)}.${cmd.name} rewrites the table and its indexes (most type changes) while reads and writes wait.`,
        fix: 'Expand/contract: add a new column of the new type, write both from the app, backfill, switch reads, then drop the old column.',
      }));
  },
};
