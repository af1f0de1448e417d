import { alterCommands, relationName, type Rule } from '../rule';

export const settingNotNull: Rule = {
  id: 'setting-not-null',
  severity: 'warning',
  summary: 'SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock',
  check(s, ctx) {
    return alterCommands(s)
      .filter(({ subtype, relation }) => subtype === 'AT_SetNotNull' && !ctx.isNewTable(relation))
      .filter(({ cmd, relation }) => !ctx.notNull.proves(relation, cmd.name))
      .map(({ cmd, relation }) => ({
        message: `SET NOT NULL on ${relationName(relation)}.${cmd.name} reads every row while it blocks reads and writes, unless a validated CHECK (${cmd.name} IS NOT NULL) exists.`,
        fix:
          ctx.pgVersion >= 18
            ? `On PostgreSQL 18: ADD CONSTRAINT <name> NOT NULL ${cmd.name} NOT VALID (no scan), then VALIDATE CONSTRAINT <name> in a later migration (a weaker lock that lets reads and writes go on).`
            : `First ADD CONSTRAINT ... CHECK (${cmd.name} IS NOT NULL) NOT VALID, then VALIDATE CONSTRAINT (a weaker lock), then SET NOT NULL (no scan), then drop the check.`,
      }));
  },
};
