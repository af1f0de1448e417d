import { lintUnitOf, type AppPlan } from '@zdm/migrator';
import { lintRun, placeInSource, type Finding } from '@zdm/migration-lint';
import type { LintConfig } from '../config/define-config';
import type { CommandContext } from '../context';
import { overFleetQuietly, type FleetFlags } from '../fleet/fleet-command';

export interface PlanWithFindings extends AppPlan {
  findings: Finding[];
}

/**
 * The safety findings of planned migrations, linted as one run in order: a table that an earlier
 * migration of the run creates is new and empty, no hazard.
 */
export async function findingsOf(plans: AppPlan[], lint: LintConfig = {}): Promise<PlanWithFindings[]> {
  const units = plans.flatMap((plan) => plan.migrations.map((m) => lintUnitOf(m, plan.serverVersion, lint)));
  const findings = placeInSource(await lintRun(units));
  return plans.map((plan) => {
    const files = new Set(plan.migrations.map((m) => m.file));
    // the catalog facts were for the linter; the plan shows the SQL
    const migrations = plan.migrations.map(({ catalog: _catalog, ...m }) => m);
    return { ...plan, migrations, findings: findings.filter((f) => f.file && files.has(f.file)) };
  });
}

/** The plan of the selected apps with the safety findings of its SQL. */
export async function planWithFindings(ctx: CommandContext, to?: string, forLint = false): Promise<PlanWithFindings[]> {
  const engine = await ctx.engine(ctx.settings(), forLint ? 'lint' : 'plan', undefined);
  return findingsOf(await engine.plan({ to, reportTransactionControl: forLint }), ctx.config.lint);
}

/**
 * The dry run: per app and migration, the exact SQL it would execute and whether it runs in a
 * transaction. Executes none of it and takes no lock on an app table.
 */
export async function planCommand(ctx: CommandContext, options: { to?: string } & FleetFlags): Promise<number> {
  const fleet = await overFleetQuietly(ctx, options, (target) => planWithFindings(target, options.to));
  if (fleet) {
    if (ctx.out.json) ctx.out.document({ apps: fleet.results.flatMap(({ target: t, value }) => value.map((p) => ({ target: t.target, ...p }))), ...(fleet.failed.length ? { failed: fleet.failed } : {}) });
    else for (const { target: t, value } of fleet.results) printPlan(t.out, value);
    for (const f of fleet.failed) ctx.out.error(`${f.target}: ${f.error}`);
    return fleet.failed.length ? 1 : 0;
  }
  const plans = await planWithFindings(ctx, options.to);
  if (ctx.out.json) {
    ctx.out.document({ apps: plans });
    return 0;
  }
  printPlan(ctx.out, plans);
  return 0;
}

function printPlan(out: CommandContext['out'], plans: PlanWithFindings[]): void {
  plans.forEach((plan, i) => {
    if (i > 0) out.result('');
    if (!plan.migrations.length) {
      out.result(`-- ${plan.app} (${plan.orm}): nothing pending`);
      return;
    }
    out.result(`-- ${plan.app} (${plan.orm}) on ${plan.database}: ${plan.migrations.length} pending migration(s)`);
    for (const m of plan.migrations) {
      out.result(`\n-- ${m.name}: ${m.transactional ? 'in one transaction' : 'outside a transaction, statement by statement'}`);
      if (m.transactional) out.result('BEGIN;');
      for (const s of m.statements) {
        const notes = [s.kind === 'read' ? (s.executed ? 'a read, run during the plan' : 'a read the plan could not run') : '', s.concurrent ? 'lock_timeout 0: waits for older transactions, blocks no reads or writes' : '', s.note ?? ''].filter(Boolean);
        const params = s.params?.length ? ` -- parameters: ${JSON.stringify(s.params)}` : '';
        out.result(`${s.sql.trim().replace(/;\s*$/, '')};${params}${notes.length ? ` -- ${notes.join('; ')}` : ''}`);
      }
      if (m.transactional) out.result('COMMIT;');
      for (const w of m.warnings) out.result(`-- warning: ${w}`);
      for (const f of plan.findings.filter((x) => x.migration === m.name)) out.result(`-- ${f.severity} ${f.rule}: ${f.message} Fix: ${f.fix}`);
    }
  });
}
