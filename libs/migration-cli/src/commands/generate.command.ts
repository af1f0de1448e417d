import { relative } from 'node:path';
import { checkDescription, ConfigError, withConcurrentIndexes, writeMigration } from '@zdm/migrator';
import type { CommandContext } from '../context';
import { migrationsDir, schemaDiff } from './schema-diff';

/** The ORM's own schema diff, written as `YYYYMMDDHHmm__<description>.ts` in the app's migrations folder. */
export async function generateCommand(ctx: CommandContext, description: string): Promise<number> {
  const apps = ctx.apps();
  if (apps.length !== 1) throw new ConfigError(`generate works on one app: add --app <name> (one of ${ctx.config.apps.map((a) => a.name).join(', ')})`);
  const [app] = apps;
  checkDescription(description);
  // the diff is against the database: what a pending migration would do shows as a difference
  // and would be written a second time
  const [status] = await (await ctx.engine(ctx.settings(), 'generate', undefined, [app])).status();
  const pending = status.migrations.filter((m) => m.state === 'pending').map((m) => m.name);
  if (pending.length) {
    throw new ConfigError(
      `${app.name} has ${pending.length} pending migration(s): ${pending.join(', ')}; generate compares the entities with the database, so it would write their changes again: run \`migrate up --app ${app.name}\` first`,
    );
  }
  const diff = await schemaDiff(ctx, app);
  if (!diff.up.length) {
    if (ctx.out.json) ctx.out.document({ app: app.name, file: null, statements: [] });
    else ctx.out.result(`${app.name}: the entities match the database; nothing to generate`);
    return 0;
  }
  const file = writeMigration({ orm: app.orm, dir: migrationsDir(ctx, app), description, diff });
  const written = withConcurrentIndexes(diff);
  if (ctx.out.json) ctx.out.document({ app: app.name, file, transactional: written.transactional, statements: written.up });
  else ctx.out.result(`${app.name}: wrote ${relative(ctx.streams.cwd, file)} (${diff.up.length} statement(s)${written.transactional ? '' : ', outside a transaction: its indexes are built CONCURRENTLY'}); review it, then \`migrate lint\``);
  return 0;
}
