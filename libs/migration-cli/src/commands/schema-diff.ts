import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { ConfigError, type SchemaDiff } from '@zdm/migrator';
import type { ResolvedApp } from '../config/load-config';
import type { CommandContext } from '../context';

/** The toolkit's own tables. */
export const TOOLKIT_TABLES = ['migration_runs', 'migration_progress'];

/** The entities of an app against its live database, through the app's own ORM config. */
export async function schemaDiff(ctx: CommandContext, app: ResolvedApp): Promise<SchemaDiff> {
  const [{ target }] = await ctx.connect([app]);
  if (app.orm === 'typeorm') {
    if (!app.dataSource) throw new ConfigError(`app "${app.name}" has no dataSource in ${ctx.config.file}: point it at the file that exports the app's TypeORM DataSource`);
     
    const { typeOrmSchemaDiff } = require('@zdm/migrator/typeorm') as typeof import('@zdm/migrator/typeorm');
    return typeOrmSchemaDiff({ dataSourceFile: join(ctx.config.rootDir, app.dataSource), url: target.url });
  }
  if (!app.mikroOrmConfig) throw new ConfigError(`app "${app.name}" has no mikroOrmConfig in ${ctx.config.file}: point it at the app's MikroORM config file`);
   
  const { mikroOrmSchemaDiff } = require('@zdm/migrator/mikro-orm') as typeof import('@zdm/migrator/mikro-orm');
  const historyTables = ctx.config.apps.map((a) => a.historyTable ?? (a.orm === 'typeorm' ? 'migrations' : 'mikro_orm_migrations'));
  return mikroOrmSchemaDiff({ configFile: join(ctx.config.rootDir, app.mikroOrmConfig), url: target.url, skipTables: [...TOOLKIT_TABLES, ...historyTables] });
}

/** Where new migrations of an app go: its first migrations folder (the static part of its first glob). */
export function migrationsDir(ctx: CommandContext, app: ResolvedApp): string {
  const first = app.migrations ? ([] as string[]).concat(app.migrations)[0] : app.files[0] && dirname(app.files[0]);
  if (!first) throw new ConfigError(`app "${app.name}" has no migrations folder to write into: list one under "migrations"`);
  const absolute = isAbsolute(first) ? first : join(ctx.config.rootDir, first);
  if (existsSync(absolute) && statSync(absolute).isDirectory()) return absolute;
  let dir = dirname(absolute);
  while (/[*?{[]/.test(dir)) dir = dirname(dir);
  return dir;
}
