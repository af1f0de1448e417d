import { ConfigError } from '@zdm/migrator';
import type { CommandContext } from '../context';

/** Reverting in production takes an explicit --yes. */
export function requireYesInProduction(ctx: CommandContext, command: string, yes: boolean | undefined): void {
  if (ctx.settings().envName === 'production' && !yes) {
    throw new ConfigError(`${command} with ENV=production reverts schema changes in production: add --yes to confirm`);
  }
}
