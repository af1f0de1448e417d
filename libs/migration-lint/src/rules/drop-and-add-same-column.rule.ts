import { alterCommands, columnDefOf, relationName, sameRelation, type Rule } from '../rule';

export const dropAndAddSameColumn: Rule = {
  id: 'drop-and-add-same-column',
  severity: 'error',
  summary: 'A column dropped and added back under the same name loses all its data',
  check(s, ctx) {
    const cmds = alterCommands(s);
    if (!cmds.some((c) => c.subtype === 'AT_AddColumn')) return [];
    const before = ctx.earlier.flatMap((e) => alterCommands(e));
    return cmds
      .filter(({ subtype, cmd, relation }, i) => {
        if (subtype !== 'AT_AddColumn' || ctx.isNewTable(relation)) return false;
        // a drop earlier in the migration, or earlier in this same ALTER TABLE
        return [...before, ...cmds.slice(0, i)].some((d) => d.subtype === 'AT_DropColumn' && d.cmd.name === columnDefOf(cmd)?.colname && sameRelation(d.relation, relation));
      })
      .map(({ cmd, relation }) => ({
        message: `${relationName(relation)}.${columnDefOf(cmd)?.colname} is dropped and added back: every value in it is lost (what a generated diff does when a type change has no cast).`,
        fix: 'Change the type in place with ALTER COLUMN ... TYPE ... USING (...), or expand and contract: add a new column, backfill it, switch the code, then drop the old one.',
      }));
  },
};
