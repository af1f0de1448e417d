import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, extname, join } from 'node:path';
import type { MigrationFile } from './types';

let typescriptHook: (() => void) | undefined;

/**
 * Compiles TypeScript on require with swc: transpile only (no type checking on the hot path),
 * decorator metadata kept (TypeORM and Nest need it), CommonJS out. Registered on the first .ts
 * file only, so a run that loads no TypeScript pays nothing for it.
 */
function registerTypeScript(): void {
  const { transformSync } = require('@swc/core') as typeof import('@swc/core');
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

/** Loads a migration (or config) module the way the plain ORM CLIs do, TypeScript included. */
export function requireModule(file: string): Record<string, unknown> {
  if (/\.[cm]?ts$/.test(file) && !typescriptHook && !require.extensions['.ts']) registerTypeScript();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a user's migration or config file, by path
  return require(file) as Record<string, unknown>;
}

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
