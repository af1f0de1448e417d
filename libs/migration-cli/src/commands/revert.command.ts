import type { CommandContext } from '../context';
import { requireYesInProduction } from './production-guard';
import { runMigrations, type RunOptions } from './run-migrations';

/** Reverts every migration the most recent `up` run applied, across apps, newest first. */
export async function revertCommand(ctx: CommandContext, options: RunOptions & { yes?: boolean }): Promise<number> {
  requireYesInProduction(ctx, 'revert', options.yes);
  return runMigrations(ctx, 'revert', options, (engine) => engine.revert());
}
