import type { CommandContext } from '../context';
import { overFleet, type FleetFlags } from '../fleet/fleet-command';
import { requireYesInProduction } from './production-guard';
import { onTarget, runMigrations, type RunOptions } from './run-migrations';

/** Reverts every migration the most recent `up` run applied, across apps, newest first. */
export async function revertCommand(ctx: CommandContext, options: RunOptions & FleetFlags & { yes?: boolean }): Promise<number> {
  requireYesInProduction(ctx, 'revert', options.yes);
  // over a fleet, each target reverts its own most recent run
  const fleet = await overFleet(ctx, 'revert', options, onTarget('revert', options, (engine) => engine.revert()));
  return fleet ?? runMigrations(ctx, 'revert', options, (engine) => engine.revert());
}
