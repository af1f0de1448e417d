import { alterCommands, columnConstraints, columnDefOf, relationName, type Rule } from '../rule';
import { qualifiedName } from '../nodes';

const SERIAL = ['serial', 'bigserial', 'smallserial', 'serial2', 'serial4', 'serial8'];

export const addingSerialOrIdentityColumn: Rule = {
  id: 'adding-serial-or-identity-column',
  severity: 'error',
  summary: 'Adding a serial or identity column rewrites the table, filling every row, under an ACCESS EXCLUSIVE lock',
  check(s, ctx) {
    return alterCommands(s)
      .filter(({ subtype, relation }) => subtype === 'AT_AddColumn' && !ctx.isNewTable(relation))
      .flatMap(({ cmd, relation }) => {
        const column = columnDefOf(cmd);
        const type = qualifiedName(column?.typeName?.names?.slice(-1)).toLowerCase();
        return SERIAL.includes(type) || columnConstraints(column).some((c) => c.contype === 'CONSTR_IDENTITY') ? [{ column, relation }] : [];
      })
      .map(({ column, relation }) => ({
        message: `Adding ${relationName(relation)}.${column?.colname} as a serial or identity column draws a value for every row: the table is rewritten while reads and writes wait.`,
        fix: 'Add a plain nullable column, create the sequence and SET DEFAULT nextval(...) for new rows, fill existing rows in batches (the backfill module); then ALTER COLUMN ... ADD GENERATED ... AS IDENTITY if you want one.',
      }));
  },
};
