import { alterCommands, constraintOf, relationName, sameRelation, type Rule } from '../rule';

export const validateInSameTransaction: Rule = {
  id: 'validate-in-same-transaction',
  severity: 'error',
  summary: 'VALIDATE CONSTRAINT in the transaction that added it NOT VALID scans the table while the ADD\'s lock still blocks writes',
  check(s, ctx) {
    if (!ctx.transactional) return [];
    return alterCommands(s)
      .filter(({ subtype, relation }) => subtype === 'AT_ValidateConstraint' && !ctx.isNewTable(relation))
      .filter(({ cmd, relation }) =>
        ctx.earlier.some((e) =>
          alterCommands(e).some((a) => a.subtype === 'AT_AddConstraint' && sameRelation(a.relation, relation) && constraintOf(a.cmd)?.conname === cmd.name && constraintOf(a.cmd)?.skip_validation),
        ),
      )
      .map(({ cmd, relation }) => ({
        message: `${cmd.name} on ${relationName(relation)} is added NOT VALID and validated in the same transaction: the ADD's lock (SHARE ROW EXCLUSIVE or ACCESS EXCLUSIVE) is held until commit, so the validating scan runs while writes wait.`,
        fix: 'VALIDATE CONSTRAINT in a later migration (or make this one non-transactional): on its own it takes SHARE UPDATE EXCLUSIVE, which lets reads and writes go on.',
      }));
  },
};
