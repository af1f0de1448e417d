import { relative } from 'node:path';
import { checkDescription, ConfigError, writeMigration } from '@zdm/migrator';
import type { CommandContext } from '../context';
import { migrationsDir, schemaDiff } from './schema-diff';

/** The ORM's own schema diff, written as `YYYYMMDDHHmm__<description>.ts` in the app's migrations folder. */
export async function generateCommand(ctx: CommandContext, description: string): Promise<number> {
  const apps = ctx.apps();
  if (apps.length !== 1) throw new ConfigError(`generate works on one app: add --app <name> (one of ${ctx.config.apps.map((a) => a.name).join(', ')})`);
  const [app] = apps;
  checkDescription(description);
  const diff = await schemaDiff(ctx, app);
  if (!diff.up.length) {
    if (ctx.out.json) ctx.out.document({ app: app.name, file: null, statements: [] });
    else ctx.out.result(`${app.name}: the entities match the database; nothing to generate`);
    return 0;
  }
  const file = writeMigration({ orm: app.orm, dir: migrationsDir(ctx, app), description, diff });
  if (ctx.out.json) ctx.out.document({ app: app.name, file, statements: diff.up });
  else ctx.out.result(`${app.name}: wrote ${relative(ctx.streams.cwd, file)} (${diff.up.length} statement(s)); review it, then \`migrate lint\``);
  return 0;
}
