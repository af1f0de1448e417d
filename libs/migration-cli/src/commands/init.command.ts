import { existsSync, globSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ConfigError } from '@zdm/migrator';
import type { AppConfig } from '../config/define-config';
import { configsIn, whichConfigWins } from '../config/find-config';

interface NestCli {
  projects?: Record<string, { root?: string; sourceRoot?: string; type?: string }>;
}

const TYPEORM_SOURCES = ['**/data-source.ts', '**/*.data-source.ts', '**/datasource.ts', '**/ormconfig.ts'];
const MIKRO_CONFIGS = ['**/mikro-orm.config.ts', '**/mikro-orm.config.js'];

function firstMatch(root: string, patterns: string[]): string | undefined {
  for (const pattern of patterns) {
    const found = globSync(pattern, { cwd: root, exclude: (f) => /node_modules|dist/.test(String(f)) }).sort()[0];
    if (found) return join(root, found);
  }
  return undefined;
}

function migrationsFolder(root: string): string | undefined {
  return ['migrations', 'src/migrations', 'src/database/migrations', 'database/migrations'].map((d) => join(root, d)).find((d) => existsSync(d));
}

/** Looks at a Nest CLI monorepo and writes a starter `migrate.config.json`. */
export function initCommand(cwd: string, options: { force?: boolean }, log: (line: string) => void): number {
  const target = join(cwd, 'migrate.config.json');
  const existing = configsIn(cwd);
  if (existing.length && !options.force) {
    throw new ConfigError(`${existing.map((f) => join(cwd, f)).join(' and ')} already ${existing.length > 1 ? 'exist' : 'exists'}: a second config beside it would be ignored or would replace it unseen; edit it, or pass --force to overwrite migrate.config.json`);
  }
  const nestFile = join(cwd, 'nest-cli.json');
  const nest: NestCli = existsSync(nestFile) ? JSON.parse(readFileSync(nestFile, 'utf8')) : {};
  const roots = Object.entries(nest.projects ?? {})
    .filter(([, p]) => p.type !== 'library')
    .map(([name, p]) => ({ name, root: join(cwd, p.root ?? `apps/${name}`) }));
  if (!roots.length) roots.push({ name: 'app', root: cwd });
  const apps: AppConfig[] = [];
  for (const { name, root } of roots) {
    const mikro = firstMatch(root, MIKRO_CONFIGS);
    const dataSource = mikro ? undefined : firstMatch(root, TYPEORM_SOURCES);
    const folder = migrationsFolder(root) ?? (mikro ?? dataSource ? join(dirname(mikro ?? dataSource!), 'migrations') : undefined);
    if (!mikro && !dataSource) {
      log(`skipped ${name}: no TypeORM data source or MikroORM config found under ${relative(cwd, root) || '.'}`);
      continue;
    }
    // the history that exists today ran before the lint gate: it is never judged (the newest by name)
    const existing = existsSync(folder!) ? globSync('*.{ts,js}', { cwd: folder! }).filter((f) => !f.endsWith('.d.ts')).sort() : [];
    const app: AppConfig = {
      name,
      orm: mikro ? 'mikro-orm' : 'typeorm',
      migrations: [relative(cwd, folder!)],
      ...(existing.length ? { lintBaseline: existing[existing.length - 1].replace(/\.[jt]s$/, '') } : {}),
      urlEnv: `${name.replace(/[^a-z0-9]+/gi, '_').toUpperCase()}_DATABASE_URL`,
      ...(mikro ? { mikroOrmConfig: relative(cwd, mikro) } : { dataSource: relative(cwd, dataSource!) }),
    };
    apps.push(app);
    log(`found ${name}: ${app.orm}, migrations in ${relative(cwd, folder!)}`);
  }
  if (!apps.length) throw new ConfigError(`no app with a TypeORM data source or a MikroORM config under ${cwd}: write migrate.config.json by hand (see the README)`);
  writeFileSync(target, JSON.stringify({ apps }, null, 2) + '\n');
  log(`wrote ${target}: check the globs, then run \`migrate status\``);
  const wins = whichConfigWins(cwd);
  if (wins) log(`warning: ${wins}`);
  return 0;
}
