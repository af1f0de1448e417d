import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
import { ConfigError } from './errors/config.error';
import type { MigrationFile } from './types';

let typescriptHook: (() => void) | undefined;

/**
 * Compiles TypeScript on require with swc: transpile only (no type checking on the hot path),
 * decorator metadata kept (TypeORM and Nest need it), CommonJS out. Registered on the first .ts
 * file only, so a run that loads no TypeScript pays nothing for it.
 */
function registerTypeScript(file: string): void {
  const { transformSync } = loadSwc(file);
  const { addHook } = require('pirates') as typeof import('pirates');
  typescriptHook = addHook(
    (code, filename) =>
      transformSync(code, {
        filename,
        sourceMaps: 'inline',
        module: { type: 'commonjs' },
        jsc: {
          target: 'es2023',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          keepClassNames: true,
        },
      }).code,
    { exts: ['.ts', '.cts', '.mts'], ignoreNodeModules: true },
  );
}

/**
 * @swc/core is a development dependency of the project (a production image runs compiled
 * JavaScript and has none): a missing one is named with its install command.
 */
function loadSwc(file: string): typeof import('@swc/core') {
  // not a dependency (nor a peer, which pnpm would install with --prod): looked up from here, then from the project
  for (const from of [__filename, file, join(process.cwd(), 'package.json')]) {
    try {
      return createRequire(from)('@swc/core') as typeof import('@swc/core');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    }
  }
  throw new ConfigError(
    `${file} is TypeScript, and loading TypeScript needs @swc/core, which is not installed: ` +
      'add it as a development dependency (`pnpm add -D @swc/core`, npm: `npm install -D @swc/core`), ' +
      'or point the config at the compiled JavaScript (what a production image runs)',
  );
}

/**
 * Loads a migration (or config) module the way the plain ORM CLIs do, TypeScript included. A file
 * that does not compile or throws while it loads (a syntax error, a missing import) is a
 * ConfigError (exit 2): `file:line: reason`, one line, no code frame, no backtrace.
 */
export function requireModule(file: string): Record<string, unknown> {
  if (/\.[cm]?ts$/.test(file) && !typescriptHook && !require.extensions['.ts']) registerTypeScript(file);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a user's migration or config file, by path
    return require(file) as Record<string, unknown>;
  } catch (error) {
    if (typeof (error as { exitCode?: unknown })?.exitCode === 'number') throw error;
    throw new ConfigError(loadFailure(file, error));
  }
}

/**
 * Loads a config file or a backfill job's file. TypeScript that holds only erasable syntax (types, `import type`,
 * `satisfies`) loads by Node's own type stripping, with no compiler to load; Node's compile cache
 * (enabled by the CLI) keeps the stripped code, so a repeated run strips nothing either. A file
 * Node refuses (an enum, a namespace, a decorator, an extensionless import of another .ts file,
 * `__dirname` in a file of ES module syntax) or that fails in any other way loads once more as it
 * always did, compiled by swc: its errors are reported as before.
 */
export function requireConfigModule(file: string): Record<string, unknown> {
  if (/\.[cm]?ts$/.test(file) && !typescriptHook && !require.extensions['.ts'] && process.features.typescript) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a user's config file, by path
      return require(file) as Record<string, unknown>;
    } catch {
      // loaded below with swc, which reports what is wrong
    }
  }
  return requireModule(file);
}

/** `file:line: reason` for a module that failed to compile or to load. */
export function loadFailure(file: string, error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // swc: "  x Expression expected\n   ,-[/path/file.ts:2:1]\n ... code frame ... Caused by: ... Stack backtrace: ..."
  const swc = /^\s*[x×]\s+(.+)$/m.exec(text);
  const swcAt = /,-\[(.+?):(\d+):\d+\]/.exec(text);
  if (swc) return `${swcAt?.[1] ?? file}:${swcAt?.[2] ?? '?'}: ${swc[1].trim()}`;
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const reason = firstLine(text) || (error instanceof Error ? error.name : 'it failed to load');
  // node's SyntaxError in compiled JavaScript: the stack starts with "/path/file.js:3"
  if (error instanceof SyntaxError) {
    const at = /^(\/.+?|[A-Za-z]:\\.+?):(\d+)$/m.exec(stack);
    return `${at?.[1] ?? file}:${at?.[2] ?? '?'}: SyntaxError: ${reason}`;
  }
  // an error thrown while the module ran (a missing import, a throw at the top level): the frame in the file
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const frame = new RegExp(`${escaped}:(\\d+):\\d+`).exec(stack);
  return `${file}:${frame?.[1] ?? '?'}: it failed to load: ${reason}`;
}

const firstLine = (text: string) => text.split('\n').map((l) => l.trim()).find(Boolean) ?? '';

/** The exported classes of a module, in export order. */
export function exportedClasses(module: Record<string, unknown>): (new (...args: unknown[]) => Record<string, unknown>)[] {
  return Object.values(module).filter(
    (value): value is new (...args: unknown[]) => Record<string, unknown> => typeof value === 'function' && typeof value.prototype?.up === 'function',
  );
}

/** A migration's name everywhere: its file's base name without extension. */
export function migrationName(file: string): string {
  return basename(file, extname(file));
}

export const MANIFEST_FILE = 'migrations.manifest.json';

/**
 * sha256 of the migration's source with line endings normalised. Compiled JavaScript takes the
 * checksum its source had, from the manifest the build writes beside it, so a build never turns
 * an applied migration `changed`.
 */
export function migrationChecksum(file: string): string {
  if (extname(file) === '.js') {
    const manifest = join(dirname(file), MANIFEST_FILE);
    if (existsSync(manifest)) {
      const entry = (JSON.parse(readFileSync(manifest, 'utf8')) as Record<string, string>)[migrationName(file)];
      if (entry) return entry;
    }
  }
  return sourceChecksum(readFileSync(file, 'utf8'));
}

export function sourceChecksum(source: string): string {
  return createHash('sha256').update(source.replace(/\r\n?/g, '\n')).digest('hex');
}

/** The migration files of an app, named and checksummed, not loaded. */
export function migrationFiles(files: string[]): MigrationFile[] {
  return files.map((file) => ({ name: migrationName(file), file, checksum: migrationChecksum(file) }));
}

/**
 * Writes the manifest a runner without the sources reads: each migration's name and the checksum of
 * its source, beside the compiled migrations. Run it after the build.
 */
export function writeMigrationManifest(sourceDir: string, compiledDir: string): string {
  const entries = readdirSync(sourceDir)
    .filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))
    .sort()
    .map((f) => [migrationName(f), sourceChecksum(readFileSync(join(sourceDir, f), 'utf8'))]);
  const file = join(compiledDir, MANIFEST_FILE);
  writeFileSync(file, JSON.stringify(Object.fromEntries(entries), null, 2) + '\n');
  return file;
}
