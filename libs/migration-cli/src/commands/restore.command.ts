import { resolve } from 'node:path';
import { ConfigError, openClient } from '@zdm/migrator';
import { readBackupManifest, restoreBackup } from '@zdm/migrator/backup';
import type { CommandContext } from '../context';

/** Puts a backup's data back into its app's database: `migrate restore <backup folder>`. */
export async function restoreCommand(ctx: CommandContext, backup: string, options: { yes?: boolean }): Promise<number> {
  const folder = resolve(ctx.streams.cwd, backup);
  const manifest = await readBackupManifest(folder);
  const app = ctx.config.apps.find((a) => a.name === manifest.app);
  if (!app) throw new ConfigError(`restore ${folder}: the backup is of app "${manifest.app}", which ${ctx.config.file} does not have (the apps are ${ctx.config.apps.map((a) => a.name).join(', ')})`);
  if (ctx.settings().envName === 'production' && !options.yes) throw new ConfigError('restore with ENV=production writes data into production tables: add --yes to confirm');
  const [{ target }] = await ctx.connect([app]);
  const client = await openClient(target, 'zdm-migrate restore');
  let restored;
  try {
    restored = await restoreBackup(client, folder, manifest);
  } finally {
    await client.end().catch(() => undefined);
  }
  if (ctx.out.json) ctx.out.document({ backup: folder, app: manifest.app, migration: manifest.migration, tables: restored });
  else for (const t of restored) ctx.out.result(`restored ${t.table}: ${t.rows} row(s) from ${folder}`);
  return 0;
}
