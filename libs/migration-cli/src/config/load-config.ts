import { existsSync, globSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, matchesGlob, resolve } from 'node:path';
// the light entry points: a config load (every command, and the config file's own import of
// defineConfig) pulls in no engine, no pg
import { ConfigError } from '@zdm/migrator/config-error';
import { requireConfigModule, requireModule } from '@zdm/migrator/module-loader';
import * as v from 'valibot';
import type { AppConfig, LintConfig, MigrateConfig } from './define-config';

export { CONFIG_FILES, configsIn, findConfig, whichConfigWins } from './find-config';

// valibot rather than zod: the config is validated on every command, and zod's core (all its
// locales) takes ~50 ms and ~20 MiB to load; the messages below are the ones users have always seen

/** The input's type as the messages name it: "array", "null", "NaN", "Infinity", a class name. */
function received(input: unknown): string {
  if (typeof input === 'number') return Number.isNaN(input) ? 'NaN' : Number.isFinite(input) ? 'number' : String(input);
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  if (typeof input === 'object' && Object.getPrototypeOf(input) !== Object.prototype && 'constructor' in input && input.constructor) return (input.constructor as { name: string }).name;
  return typeof input;
}
const expected = (type: string) => (issue: v.BaseIssue<unknown>) => `Invalid input: expected ${type}, received ${received(issue.input)}`;
const oneOf = (values: readonly string[]) => `Invalid option: expected one of ${values.map((value) => JSON.stringify(value)).join('|')}`;
const isObject = (input: unknown): input is Record<string, unknown> => typeof input === 'object' && input !== null && !Array.isArray(input);
const isPlainObject = (input: unknown): input is Record<string, unknown> => isObject(input) && [Object.prototype, null].includes(Object.getPrototypeOf(input));

/** An object with exactly these keys: a missing key reads as its value's error, unknown keys are listed together. */
function strict<const E extends v.ObjectEntries>(entries: E) {
  return v.pipe(
    v.custom<Record<string, unknown>>(isObject, expected('object')),
    v.strictObject(entries, (issue) => {
      const item = issue.path!.at(-1)!;
      if (issue.expected !== 'never') return v.safeParse(entries[item.key as string], undefined).issues![0].message;
      const unknown = Object.keys(item.input as object).filter((key) => !Object.hasOwn(entries, key));
      return `unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`;
    }),
  );
}
/** The unknown-keys issue: it is reported on the object itself, not on its first unknown key. */
const isUnknownKeys = (issue: v.BaseIssue<unknown>) => issue.type === 'strict_object' && issue.expected === 'never';

const text = () => v.pipe(v.string(expected('string')), v.minLength(1, 'Too small: expected string to have >=1 characters'));
const globs = v.union([text(), v.pipe(v.array(text(), expected('array')), v.minLength(1, 'Too small: expected array to have >=1 items'))], 'Invalid input');
const enumOf = <const T extends string>(values: readonly [T, ...T[]]) => v.picklist(values, oneOf(values));
const envName = v.pipe(v.string(expected('string')), v.regex(/^[A-Z_][A-Z0-9_]*$/i, 'an environment variable name'));
const targetsSchema = v.union(
  [strict({ urls: envName }), strict({ query: text(), url: envName }), strict({ schemas: text(), url: v.optional(envName) })],
  'use {"urls": "<VARIABLE>"}, {"query": "select name, url ...", "url": "<VARIABLE>"} or {"schemas": "select schema_name ..."}',
);
const appSchema = strict({
  name: v.pipe(v.string(expected('string')), v.regex(/^[a-z0-9][a-z0-9_-]*$/i, 'letters, digits, - and _')),
  orm: v.picklist(['typeorm', 'mikro-orm'], (issue) => `unknown ORM ${JSON.stringify(issue.input)}; use "typeorm" or "mikro-orm"`),
  migrations: v.optional(globs),
  urlEnv: v.optional(v.pipe(v.string(expected('string')), v.regex(/^[A-Z_][A-Z0-9_]*$/i, 'an environment variable name'))),
  historyTable: v.optional(text()),
  schema: v.optional(text()),
  naming: v.optional(enumOf(['timestamped', 'orm'])),
  dataSource: v.optional(text()),
  mikroOrmConfig: v.optional(text()),
  backfills: v.optional(globs),
  lintBaseline: v.optional(text()),
  targets: v.optional(targetsSchema),
});
const levels = enumOf(['error', 'warning', 'info', 'off']);
const rules = v.pipe(
  v.custom<Record<string, unknown>>(isPlainObject, expected('record')),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    for (const [key, value] of Object.entries(dataset.value)) {
      if (key === '__proto__') continue;
      const level = v.safeParse(levels, value);
      if (!level.success) addIssue({ message: level.issues[0].message, input: value, path: [{ type: 'object', origin: 'value', input: dataset.value, key, value }] });
    }
  }),
  v.transform((input) => Object.fromEntries(Object.entries(input).filter(([key]) => key !== '__proto__')) as Record<string, v.InferOutput<typeof levels>>),
);
const configSchema = strict({
  apps: v.pipe(
    v.array(
      v.pipe(
        appSchema,
        // checked once every key has a value of the right type (a name that breaks its pattern, an
        // empty string or an unknown key does not stop it)
        v.rawCheck(({ dataset, addIssue }) => {
          if (dataset.issues?.some((issue) => issue.kind === 'schema' && !isUnknownKeys(issue))) return;
          const app = dataset.value as v.InferOutput<typeof appSchema>;
          if (app.migrations || app.dataSource || app.mikroOrmConfig) return;
          addIssue({
            message: 'list the migrations (globs or folders), or point dataSource / mikroOrmConfig at the ORM config that lists them',
            path: [{ type: 'object', origin: 'value', input: app, key: 'migrations', value: app.migrations }],
          });
        }),
      ),
      expected('array'),
    ),
    v.minLength(1, 'list at least one app'),
  ),
  lint: v.optional(
    strict({
      rules: v.optional(rules),
      pgVersion: v.optional(
        v.pipe(
          v.custom<number>((input) => typeof input === 'number' && Number.isFinite(input), expected('number')),
          v.custom<number>(Number.isInteger, 'Invalid input: expected int, received number'),
          v.minValue(13, 'Too small: expected number to be >=13'),
          v.maxValue(18, 'Too big: expected number to be <=18'),
        ),
      ),
    }),
  ),
});

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
  const module = requireConfigModule(file) as { default?: unknown };
  return module.default ?? module;
}

function describeIssue(issue: v.BaseIssue<unknown>, raw: unknown): string {
  const keys = (issue.path ?? []).slice(0, isUnknownKeys(issue) ? -1 : undefined).map((item) => item.key);
  const path = keys.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  const app = keys[0] === 'apps' && typeof keys[1] === 'number' ? (raw as MigrateConfig).apps?.[keys[1]]?.name : undefined;
  const where = app ? `${path} (app "${app}")` : path || 'the config';
  return `${where}: ${issue.message}`;
}

const GLOB_MAGIC = /[*?[\]{}()!]/;

/**
 * The files an absolute glob matches. A glob whose wildcards are all in its last segment
 * (`migrations/*.ts`, the common case) lists that one folder and matches the names with Node's own
 * `path.matchesGlob`, the same matcher as `fs.globSync`, at half its cost; any other glob goes to
 * `fs.globSync`.
 */
function globFiles(pattern: string): string[] {
  const folder = dirname(pattern);
  if (GLOB_MAGIC.test(folder)) return globSync(pattern);
  const last = basename(pattern);
  if (!GLOB_MAGIC.test(last)) return existsSync(pattern) ? [pattern] : [];
  let names: string[];
  try {
    names = readdirSync(folder, { withFileTypes: true })
      .filter((d) => !d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
  return names.filter((name) => matchesGlob(name, last)).map((name) => join(folder, name));
}

/** Files matched by globs or folders (a folder means every .ts/.js file in it but .d.ts). */
function expand(patterns: string | string[], rootDir: string, key: string, required: boolean): string[] {
  const files: string[] = [];
  for (const pattern of ([] as string[]).concat(patterns)) {
    const absolute = isAbsolute(pattern) ? pattern : join(rootDir, pattern);
    const isFolder = existsSync(absolute) && statSync(absolute).isDirectory();
    const matched = globFiles(isFolder ? join(absolute, '*.{ts,js}') : absolute).filter((f) => !f.endsWith('.d.ts') && !/\.(spec|test)\.[jt]s$/.test(f));
    if (!matched.length && required && !isFolder) throw new ConfigError(`${key}: "${pattern}" matches no file (relative to ${rootDir})`);
    files.push(...matched.map((f) => resolve(f)));
  }
  return [...new Set(files)].sort();
}

/**
 * The migrations an existing ORM config lists, for an app that points at it instead of listing
 * them: a TypeORM DataSource's `migrations` globs, a MikroORM config's `migrations.path` and `glob`.
 */
function migrationsOfOrmConfig(app: v.InferOutput<typeof appSchema>, rootDir: string, key: string): string[] {
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
  const parsed = v.safeParse(configSchema, raw);
  if (!parsed.success) throw new ConfigError(`${file}: ${parsed.issues.map((i) => describeIssue(i, raw)).join('; ')}`);
  const names = new Set<string>();
  const apps = parsed.output.apps.map((app, index) => {
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
  // the linter (all its rules) loads only for a config that names rules
  const named = Object.keys(parsed.output.lint?.rules ?? {});
  const { RULES } = named.length ? (require('@zdm/migration-lint') as typeof import('@zdm/migration-lint')) : { RULES: [] };
  const unknownRules = named.filter((id) => !RULES.some((r) => r.id === id));
  if (unknownRules.length) throw new ConfigError(`${file}: lint.rules: no rule named ${unknownRules.join(', ')}; the rules are ${RULES.map((r) => r.id).join(', ')}`);
  return { file: resolve(file), rootDir, apps, lint: parsed.output.lint ?? {} };
}
