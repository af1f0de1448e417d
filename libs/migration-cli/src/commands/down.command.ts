import { ConfigError } from '@zdm/migrator';
import type { CommandContext } from '../context';
import { overFleet, type FleetFlags } from '../fleet/fleet-command';
import { requireYesInProduction } from './production-guard';
import { onTarget, runMigrations, type RunOptions } from './run-migrations';

export interface DownOptions extends RunOptions, FleetFlags {
  step?: string;
  to?: string;
  yes?: boolean;
}

/** Reverts one app's newest migrations: one step by default, `--step N`, or everything after `--to X`. */
export async function downCommand(ctx: CommandContext, options: DownOptions): Promise<number> {
  const apps = ctx.apps();
  if (apps.length !== 1) throw new ConfigError(`down works on one app: add --app <name> (one of ${ctx.config.apps.map((a) => a.name).join(', ')})`);
  if (options.step !== undefined && options.to !== undefined) throw new ConfigError('down takes --step or --to, not both');
  const step = options.step === undefined ? 1 : Number(options.step);
  if (!Number.isInteger(step) || step < 1) throw new ConfigError(`--step ${options.step}: expected a whole number of at least 1`);
  requireYesInProduction(ctx, 'down', options.yes);
  const down = (engine: Parameters<Parameters<typeof runMigrations>[3]>[0]) => engine.down({ app: apps[0].name, step, to: options.to });
  const fleet = await overFleet(ctx, 'down', options, onTarget('down', options, down));
  return fleet ?? runMigrations(ctx, 'down', options, down);
}
