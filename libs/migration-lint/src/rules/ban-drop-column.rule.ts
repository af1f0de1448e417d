import { alterCommands, relationName, type Rule } from '../rule';

export const banDropColumn: Rule = {
  id: 'ban-drop-column',
  severity: 'warning',
  summary: 'Dropping a column is the contract step: deployed code must no longer read it',
  check(s, ctx) {
    return alterCommands(s)
      .filter(({ subtype, relation }) => subtype === 'AT_DropColumn' && !ctx.isNewTable(relation))
      .map(({ cmd, relation }) => ({
        message: `Dropping ${relationName(relation)}.${cmd.name} breaks any deployed code (or ORM entity) that still reads or writes it.`,
        fix: 'Ship the code that stops using the column first; drop it in a later release (ignore this rule then, with the reason).',
      }));
  },
};
