import type { PgNode, Rule } from '../rule';

const nameOf = (names: PgNode[] | undefined) => (names ?? []).map((n: PgNode) => n.String?.sval).join('.');

export const domainConstraintMissingNotValid: Rule = {
  id: 'domain-constraint-missing-not-valid',
  severity: 'error',
  summary: 'ALTER DOMAIN ... ADD CONSTRAINT without NOT VALID checks every column of the domain while writes wait',
  check(s, ctx) {
    if (s.kind !== 'AlterDomainStmt' || s.node.subtype !== 'C' || s.node.def?.Constraint?.contype !== 'CONSTR_CHECK' || s.node.def.Constraint.skip_validation) return [];
    const domain = nameOf(s.node.typeName);
    // a domain created earlier in this migration is used by no live column yet
    if (ctx.earlier.some((e) => e.kind === 'CreateDomainStmt' && nameOf(e.node.domainname) === domain)) return [];
    return [
      {
        message: `CHECK ${s.node.def.Constraint.conname ?? ''} on domain ${domain} is checked against every row of every column of that domain, while writes to those tables wait.`.replace('  ', ' '),
        fix: 'Add it with NOT VALID (only new values are checked), then ALTER DOMAIN ... VALIDATE CONSTRAINT in a later migration (a weaker lock that lets writes go on).',
      },
    ];
  },
};
