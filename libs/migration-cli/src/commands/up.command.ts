import { resolve } from 'node:path';
import type { CommandContext } from '../context';
import { overFleet, type FleetFlags } from '../fleet/fleet-command';
import { onTarget, runMigrations, type RunOptions } from './run-migrations';

export interface UpOptions extends RunOptions, FleetFlags {
  to?: string;
  allowChanged?: boolean;
  revertOnFailure: boolean;
  unsafeOk?: boolean;
  /** Where to copy out what a migration drops, truncates or rewrites, before it runs. */
  backupDir?: string;
  /** false with --no-backup: no backup, on purpose, even in production. */
  backup?: boolean;
}

/** Applies pending migrations of the selected apps, in configured order; DRY_RUN=1 makes it a plan. */
export async function upCommand(ctx: CommandContext, options: UpOptions): Promise<number> {
  if (ctx.settings(options.lockWait).dryRun) {
    ctx.out.log('DRY_RUN is set: showing the plan, executing nothing');
    // the plan and its linter load only for a dry run
    const { planCommand } = require('./plan.command') as typeof import('./plan.command');
    return planCommand(ctx, options);
  }
  const backup = { dir: options.backup === false ? undefined : options.backupDir && resolve(ctx.streams.cwd, options.backupDir), required: options.backup !== false && ctx.settings().envName === 'production' };
  const up = (engine: Parameters<Parameters<typeof runMigrations>[3]>[0]) =>
    engine.up({ to: options.to, allowChanged: options.allowChanged, revertOnFailure: options.revertOnFailure, unsafeOk: options.unsafeOk, backup });
  const fleet = await overFleet(ctx, 'up', options, onTarget('up', options, up));
  return fleet ?? runMigrations(ctx, 'up', options, up);
}
