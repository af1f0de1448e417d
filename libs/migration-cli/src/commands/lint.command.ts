import { ConfigError } from '@zdm/migrator';
import type { CommandContext } from '../context';
import { planWithFindings } from './plan.command';

/** Lints the SQL that the pending migrations emit; exit 5 when a finding is an error. */
export async function lintCommand(ctx: CommandContext, options: { format?: string }): Promise<number> {
  const format = options.format ?? (ctx.out.json ? 'json' : 'text');
  if (format !== 'json' && format !== 'text') throw new ConfigError(`--format ${format}: use text or json`);
  const plans = await planWithFindings(ctx, undefined, true);
  const findings = plans.flatMap((p) => p.findings.map((f) => ({ app: p.app, ...f })));
  if (format === 'json') {
    ctx.out.document({ findings });
  } else if (!findings.length) {
    ctx.out.result(`no findings in ${plans.reduce((n, p) => n + p.migrations.length, 0)} pending migration(s)`);
  } else {
    for (const f of findings) ctx.out.result(`${f.app}/${f.migration} statement ${f.statementIndex + 1}: ${f.severity} ${f.rule}: ${f.message}\n  fix: ${f.fix}\n  ${f.statement}`);
  }
  return findings.some((f) => f.severity === 'error') ? 5 : 0;
}
