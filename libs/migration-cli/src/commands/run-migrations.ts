import { formatDuration } from '@zdm/db';
import type { MigrationEngine, RunSummary } from '@zdm/migrator';
import type { CommandContext } from '../context';
import type { TargetResult } from '../fleet/fleet-run';
import { jsonReporter, textReporter } from '../reporters/text.reporter';
import { RunObserver } from '../run-observer';
import { onStopSignals } from '../signals';

export interface RunOptions {
  lockWait?: string;
  report?: string;
  metricsFile?: string;
}

/** Runs an engine command that changes the schema, with reporting, alerts, metrics and signals. */
export async function runMigrations(ctx: CommandContext, command: string, options: RunOptions, work: (engine: MigrationEngine) => Promise<RunSummary>): Promise<number> {
  return (await runMigrationsFor(ctx, command, options, work)).code;
}

/** One fleet target's run of the command: what the fleet's summary counts. */
export function onTarget(command: string, options: RunOptions, work: (engine: MigrationEngine) => Promise<RunSummary>) {
  return async (target: CommandContext): Promise<TargetResult> => {
    const { code, summary } = await runMigrationsFor(target, command, options, work);
    return { code, changed: summary.migrations.length, error: summary.error?.message.split('\n')[0] };
  };
}

/** The same, with the run's summary. */
export async function runMigrationsFor(
  ctx: CommandContext,
  command: string,
  options: RunOptions,
  work: (engine: MigrationEngine) => Promise<RunSummary>,
): Promise<{ code: number; summary: RunSummary }> {
  const settings = ctx.settings(options.lockWait);
  const observer = new RunObserver(ctx, settings, { command, reportFile: options.report, metricsFile: options.metricsFile });
  const report = ctx.out.json ? jsonReporter(ctx.out) : textReporter(ctx.out);
  const engine = await ctx.engine(settings, command, (event) => {
    report(event);
    observer.onEvent(event);
  });
  const stop = onStopSignals((signal) => void engine.interrupt(signal));
  let summary: RunSummary;
  try {
    summary = await work(engine);
  } finally {
    stop();
  }
  await observer.finish(summary);
  printSummary(ctx, command, summary);
  return { code: summary.error ? summary.error.exitCode : 0, summary };
}

function printSummary(ctx: CommandContext, command: string, summary: RunSummary): void {
  const { out } = ctx;
  if (out.json) {
    // what the run reverted: a down's or a revert's own migrations, and an up's revert after a failure
    const reverted = [...summary.migrations.filter((m) => m.direction === 'down'), ...summary.reverted];
    out.document({
      type: 'summary',
      command,
      runId: summary.runId,
      status: summary.status,
      durationMs: summary.durationMs,
      counts: { applied: summary.migrations.filter((m) => m.direction === 'up').length, reverted: reverted.length },
      migrations: summary.migrations,
      reverted,
      error: summary.error ? { message: summary.error.message, exitCode: summary.error.exitCode } : null,
    });
    return;
  }
  if (summary.error) {
    out.error(summary.error.message, { exitCode: summary.error.exitCode });
    if (out.verbose && summary.error.stack) out.debug(String((summary.error.cause as Error | undefined)?.stack ?? summary.error.stack));
    if (summary.reverted.length) out.result(`reverted ${summary.reverted.length} migration(s) this run had applied: ${summary.reverted.map((m) => `${m.app}/${m.migration}`).join(', ')}`);
    return;
  }
  const verb = command === 'up' ? 'applied' : 'reverted';
  if (!summary.migrations.length) {
    out.result(command === 'up' ? `nothing pending: every migration of ${ctx.apps().map((a) => a.name).join(', ')} is applied` : 'nothing to revert');
    return;
  }
  out.result(`${verb} ${summary.migrations.length} migration(s) in ${formatDuration(summary.durationMs)}`);
}
