import { nodeOf, qualifiedName } from '../nodes';
import type { Rule } from '../rule';

export const domainConstraintMissingNotValid: Rule = {
  id: 'domain-constraint-missing-not-valid',
  severity: 'error',
  summary: 'ALTER DOMAIN ... ADD CONSTRAINT without NOT VALID checks every column of the domain while writes wait',
  check(s, ctx) {
    if (s.kind !== 'AlterDomainStmt' || s.node.subtype !== 'C') return [];
    const constraint = nodeOf(s.node.def, 'Constraint');
    if (constraint?.contype !== 'CONSTR_CHECK' || constraint.skip_validation) return [];
    const domain = qualifiedName(s.node.typeName);
    // a domain created earlier in this migration is used by no live column yet
    if (ctx.earlier.some((e) => e.kind === 'CreateDomainStmt' && qualifiedName(e.node.domainname) === domain)) return [];
    return [
      {
        message: `CHECK ${constraint.conname ?? ''} on domain ${domain} is checked against every row of every column of that domain, while writes to those tables wait.`.replace('  ', ' '),
        fix: 'Add it with NOT VALID (only new values are checked), then ALTER DOMAIN ... VALIDATE CONSTRAINT in a later migration (a weaker lock that lets writes go on).',
      },
    ];
  },
};
