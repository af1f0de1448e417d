import { existsSync, globSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
// the light entry points: a config load (every command, and the config file's own import of
// defineConfig) pulls in no engine, no pg
import { ConfigError } from '@zdm/migrator/config-error';
import { requireModule } from '@zdm/migrator/module-loader';
import { RULES } from '@zdm/migration-lint';
import { z } from 'zod';
import type { AppConfig, LintConfig, MigrateConfig } from './define-config';

export { CONFIG_FILES, configsIn, findConfig, whichConfigWins } from './find-config';

const globs = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const appSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'letters, digits, - and _'),
    orm: z.enum(['typeorm', 'mikro-orm']),
    migrations: globs.optional(),
    urlEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/i, 'an environment variable name').optional(),
    historyTable: z.string().min(1).optional(),
    schema: z.string().min(1).optional(),
    naming: z.enum(['timestamped', 'orm']).optional(),
    dataSource: z.string().min(1).optional(),
    mikroOrmConfig: z.string().min(1).optional(),
    backfills: globs.optional(),
    lintBaseline: z.string().min(1).optional(),
  })
  .strict();
const configSchema = z
  .object({
    apps: z.array(
      appSchema.refine((app) => app.migrations || app.dataSource || app.mikroOrmConfig, {
        message: 'list the migrations (globs or folders), or point dataSource / mikroOrmConfig at the ORM config that lists them',
        path: ['migrations'],
      }),
    ).min(1, 'list at least one app'),
    lint: z
      .object({
        rules: z.record(z.string(), z.enum(['error', 'warning', 'info', 'off'])).optional(),
        pgVersion: z.number().int().min(13).max(18).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export interface ResolvedApp extends AppConfig {
  /** The migration files, absolute. */
  files: string[];
  backfillFiles: string[];
  naming: 'timestamped' | 'orm';
}

export interface LoadedConfig {
  file: string;
  /** The folder of the config file: globs and paths resolve against it. */
  rootDir: string;
  apps: ResolvedApp[];
  lint: LintConfig;
}

function readConfigFile(file: string): unknown {
  if (file.endsWith('.json')) {
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`);
    }
  }
  const module = requireModule(file) as { default?: unknown };
  return module.default ?? module;
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  const app = issue.path[0] === 'apps' && typeof issue.path[1] === 'number' ? (raw as MigrateConfig).apps?.[issue.path[1]]?.name : undefined;
  const where = app ? `${path} (app "${app}")` : path || 'the config';
  if (issue.code === 'invalid_value' && issue.path.at(-1) === 'orm') {
    const value = issue.path.reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey], raw);
    return `${where}: unknown ORM ${JSON.stringify(value)}; use "typeorm" or "mikro-orm"`;
  }
  if (issue.code === 'unrecognized_keys') return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  return `${where}: ${issue.message}`;
}

/** Files matched by globs or folders (a folder means every .ts/.js file in it but .d.ts). */
function expand(patterns: string | string[], rootDir: string, key: string, required: boolean): string[] {
  const files: string[] = [];
  for (const pattern of ([] as string[]).concat(patterns)) {
    const absolute = isAbsolute(pattern) ? pattern : join(rootDir, pattern);
    const isFolder = existsSync(absolute) && statSync(absolute).isDirectory();
    const matched = globSync(isFolder ? join(absolute, '*.{ts,js}') : absolute).filter((f) => !f.endsWith('.d.ts') && !/\.(spec|test)\.[jt]s$/.test(f));
    if (!matched.length && required && !isFolder) throw new ConfigError(`${key}: "${pattern}" matches no file (relative to ${rootDir})`);
    files.push(...matched.map((f) => resolve(f)));
  }
  return [...new Set(files)].sort();
}

/**
 * The migrations an existing ORM config lists, for an app that points at it instead of listing
 * them: a TypeORM DataSource's `migrations` globs, a MikroORM config's `migrations.path` and `glob`.
 */
function migrationsOfOrmConfig(app: z.infer<typeof appSchema>, rootDir: string, key: string): string[] {
  const source = app.orm === 'typeorm' ? app.dataSource : app.mikroOrmConfig;
  if (!source) throw new ConfigError(`${key}: list the migrations, or point ${app.orm === 'typeorm' ? 'dataSource' : 'mikroOrmConfig'} at the ORM config that lists them`);
  const module = requireModule(join(rootDir, source)) as Record<string, unknown>;
  if (app.orm === 'typeorm') {
    const dataSource = [module.default, module.dataSource, ...Object.values(module)].find((v) => (v as { options?: { type?: string } })?.options?.type) as
      | { options: { migrations?: unknown[] } }
      | undefined;
    const listed = dataSource?.options.migrations ?? [];
    const globs = listed.filter((m): m is string => typeof m === 'string');
    if (!globs.length) throw new ConfigError(`${key}: ${app.dataSource} lists no migration globs (classes can't be mapped to files): list the migrations in the config`);
    return globs;
  }
  const config = (module.default ?? module.config ?? module) as { migrations?: { path?: string; pathTs?: string; glob?: string } };
  const folder = config.migrations?.pathTs ?? config.migrations?.path;
  if (!folder) throw new ConfigError(`${key}: ${app.mikroOrmConfig} sets no migrations.path: list the migrations in the config`);
  // MikroORM's default glob excludes .d.ts with an extglob; .d.ts files are left out here anyway
  return [join(folder, (config.migrations?.glob ?? '*.{js,ts}').replace('!(*.d)', '*'))];
}

/** Loads and validates the config once; every mistake names its key. */
export function loadConfig(file: string): LoadedConfig {
  if (!existsSync(file)) throw new ConfigError(`config file ${file} does not exist: pass --config <path>, or run \`migrate init\` to write one`);
  const rootDir = dirname(resolve(file));
  const raw = readConfigFile(resolve(file));
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${file}: ${parsed.error.issues.map((i) => describeIssue(i, raw)).join('; ')}`);
  const names = new Set<string>();
  const apps = parsed.data.apps.map((app, index) => {
    if (names.has(app.name)) throw new ConfigError(`${file}: apps[${index}].name: two apps are named "${app.name}"`);
    names.add(app.name);
    for (const key of ['dataSource', 'mikroOrmConfig'] as const) {
      if (app[key] && !existsSync(join(rootDir, app[key]!))) throw new ConfigError(`${file}: apps[${index}].${key} (app "${app.name}"): ${app[key]} does not exist`);
    }
    const key = `${file}: apps[${index}].migrations (app "${app.name}")`;
    return {
      ...app,
      naming: app.naming ?? 'orm',
      files: expand(app.migrations ?? migrationsOfOrmConfig(app, rootDir, key), rootDir, key, true),
      backfillFiles: app.backfills ? expand(app.backfills, rootDir, `${file}: apps[${index}].backfills (app "${app.name}")`, false) : [],
    };
  });
  const unknownRules = Object.keys(parsed.data.lint?.rules ?? {}).filter((id) => !RULES.some((r) => r.id === id));
  if (unknownRules.length) throw new ConfigError(`${file}: lint.rules: no rule named ${unknownRules.join(', ')}; the rules are ${RULES.map((r) => r.id).join(', ')}`);
  return { file: resolve(file), rootDir, apps, lint: parsed.data.lint ?? {} };
}
