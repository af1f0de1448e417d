import { formatDuration } from '@zdm/db';
import type { CommandContext } from '../context';
import { parallelOf, runOverFleet, type FleetRunOptions, type TargetOutcome, type TargetResult } from './fleet-run';
import { resolveFleet, type FleetTarget, type TargetSelection } from './fleet-targets';

/** The fleet flags every fan-out command takes. */
export interface FleetFlags extends TargetSelection, FleetRunOptions {
  /** Each target's series carry a `target` label, pushed and written per target (cardinality is the user's choice). */
  metricsTargetLabel?: boolean;
  metricsFile?: string;
}

const VERB: Record<string, string> = { up: 'applied', down: 'reverted', revert: 'reverted' };

/**
 * Runs a command over every selected target of the fleet, each in a context of its own (its own
 * run id, run lock, run log and revert), and prints the fleet's summary. Undefined when the
 * selected apps have no targets: the command runs as it always did.
 */
export async function overFleet(ctx: CommandContext, command: string, flags: FleetFlags, perTarget: (target: CommandContext, fleetTarget: FleetTarget) => Promise<TargetResult>): Promise<number | undefined> {
  const targets = await resolveFleet(ctx, ctx.apps(), flags);
  if (!targets) return undefined;
  const started = Date.now();
  if (!targets.length) {
    ctx.out.log(`no target selected${flags.shard ? ` in shard ${flags.shard}` : ''}: nothing to do`);
  }
  // one registry for the whole fleet, published once, unless each target is to be labelled or
  // nothing publishes them (the metrics load here, not with the module: status and plan fan out
  // too and publish none)
  const { createMetrics } = require('@zdm/observability') as typeof import('@zdm/observability');
  const { publishMetrics, publishesMetrics } = require('../run-observer') as typeof import('../run-observer');
  const shared = flags.metricsTargetLabel || !publishesMetrics(ctx, flags.metricsFile) ? undefined : createMetrics();
  const outcomes = await runOverFleet(targets, flags, (t) => perTarget(ctx.forTarget(t.name, t.connections, t.tenantSchema, shared), t));
  if (shared) {
    if (command === 'up' && outcomes.every((o) => o.state === 'done' || o.state === 'current')) for (const app of ctx.apps()) shared.runSucceeded(app.name);
    await publishMetrics(ctx, ctx.settings(), shared, flags.metricsFile);
  }
  printFleetSummary(ctx, command, outcomes, { parallel: parallelOf(flags), durationMs: Date.now() - started });
  return outcomes.some((o) => o.state === 'failed') ? 1 : 0;
}

/**
 * The same fan-out for a command that only reads (status, plan, lint, verify): every target, bounded
 * by --parallel, none stopping the others. Each target's value comes back in the fleet's order, for
 * the caller to print; a target whose read threw, or whose value `failedWhen` says so, is failed.
 * Undefined without a fleet.
 */
export async function overFleetQuietly<T>(
  ctx: CommandContext,
  flags: FleetFlags,
  read: (target: CommandContext) => Promise<T>,
  failedWhen: (value: T) => boolean = () => false,
): Promise<{ targets: string[]; results: { target: CommandContext; value: T }[]; failed: { target: string; error: string }[] } | undefined> {
  const targets = await resolveFleet(ctx, ctx.apps(), flags);
  if (!targets) return undefined;
  const values = new Map<string, { target: CommandContext; value: T }>();
  const outcomes = await runOverFleet(targets, { parallel: flags.parallel, continueOnError: true }, async (t) => {
    const target = ctx.forTarget(t.name, t.connections, t.tenantSchema);
    const value = await read(target);
    values.set(t.name, { target, value });
    return { code: failedWhen(value) ? 1 : 0 };
  });
  return {
    targets: targets.map((t) => t.name),
    results: targets.filter((t) => values.has(t.name)).map((t) => values.get(t.name)!),
    failed: outcomes.filter((o) => o.state === 'failed').map((o) => ({ target: o.target, error: o.error ?? `exit ${o.code}` })),
  };
}

function printFleetSummary(ctx: CommandContext, command: string, outcomes: TargetOutcome[], run: { parallel: number; durationMs: number }): void {
  const count = (state: TargetOutcome['state']) => outcomes.filter((o) => o.state === state).length;
  const counts = { done: count('done'), current: count('current'), failed: count('failed'), notStarted: count('not-started') };
  if (ctx.out.json) {
    ctx.out.document({ type: 'fleet', command, targets: outcomes, counts, parallel: run.parallel, durationMs: run.durationMs });
    return;
  }
  const verb = VERB[command] ?? 'done';
  ctx.out.result(
    `fleet ${command}: ${counts.done} ${verb}, ${counts.current} already current, ${counts.failed} failed, ${counts.notStarted} not started (${outcomes.length} target(s), parallel ${run.parallel}, ${formatDuration(run.durationMs)})`,
  );
  for (const o of outcomes.filter((x) => x.state === 'failed')) ctx.out.result(`  failed ${o.target}: ${o.error ?? `exit ${o.code}`}`);
  const notStarted = outcomes.filter((o) => o.state === 'not-started').map((o) => o.target);
  if (notStarted.length) ctx.out.result(`  not started: ${notStarted.join(', ')}`);
}
